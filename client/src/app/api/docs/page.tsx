import type { Metadata } from 'next';
import {
  loadApiDocument,
  operationsOf,
  resolve,
  type ApiDocument,
  type HeaderObject,
  type Operation,
  type ResponseObject,
} from '@/lib/api-document';
import { FieldNotes, InlineMarkdown, PropertiesTable, Prose, SchemaType } from './schema-parts';

// Rendered on request, so that its Cache-Control is next.config.ts's (a prerendered page's would keep it at
// the edge for a year); the same page for everyone, which the edge shares for a second.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'API' };

const REASONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '204': 'No Content',
  '400': 'Bad Request',
  '401': 'Unauthorized',
  '402': 'Payment Required',
  '403': 'Forbidden',
  '404': 'Not Found',
  '409': 'Conflict',
  '413': 'Content Too Large',
  '429': 'Too Many Requests',
  '500': 'Internal Server Error',
  '503': 'Service Unavailable',
};

export default function ApiDocsPage() {
  const document = loadApiDocument();
  const operations = operationsOf(document);
  const tags = document.tags ?? [];
  const schemas = Object.entries(document.components.schemas);

  return (
    <div className="api-docs">
      <div className="page-head">
        <div>
          <h1>{document.info.title}</h1>
          <p className="lead">{document.info.summary}</p>
        </div>
      </div>
      <p>
        OpenAPI {document.openapi}, version {document.info.version}. The document itself:{' '}
        <a href="/api/docs/openapi.yaml">openapi.yaml</a> or <a href="/api/docs/openapi.json">openapi.json</a>.
      </p>

      <nav className="panel" aria-labelledby="api-contents">
        <h2 id="api-contents">Routes</h2>
        {tags.map((tag) => (
          <div key={tag.name} className="api-contents-group">
            <h3>
              <a href={`#tag-${tag.name}`}>{capitalised(tag.name)}</a>
            </h3>
            <ul>
              {operations
                .filter((entry) => entry.operation.tags?.includes(tag.name))
                .map((entry) => (
                  <li key={entry.operation.operationId}>
                    <a href={`#${entry.operation.operationId}`}>
                      <MethodBadge method={entry.method} /> <code>{entry.path}</code>
                    </a>{' '}
                    {entry.operation.summary}
                  </li>
                ))}
            </ul>
          </div>
        ))}
        <h3>
          <a href="#schemas">Schemas</a>
        </h3>
      </nav>

      <section className="panel api-overview" aria-labelledby="api-overview">
        <h2 id="api-overview">Overview</h2>
        <Prose text={document.info.description} />
      </section>

      {tags.map((tag) => (
        <section key={tag.name} aria-labelledby={`tag-${tag.name}`} className="api-tag">
          <h2 id={`tag-${tag.name}`}>{capitalised(tag.name)}</h2>
          <p className="lead">{tag.description}</p>
          {operations
            .filter((entry) => entry.operation.tags?.includes(tag.name))
            .map((entry) => (
              <OperationPanel key={entry.operation.operationId} document={document} entry={entry} />
            ))}
        </section>
      ))}

      <section aria-labelledby="schemas" className="api-tag">
        <h2 id="schemas">Schemas</h2>
        <p className="lead">The bodies of requests and answers, referred to by name above.</p>
        {schemas.map(([name, schema]) => (
          <article key={name} id={`schema-${name}`} className="panel api-schema" aria-labelledby={`schema-${name}-h`}>
            <h3 id={`schema-${name}-h`}>
              <code>{name}</code>
            </h3>
            <Prose text={schema.description} />
            {schema.properties ? (
              <PropertiesTable schema={schema} caption={`Fields of ${name}`} />
            ) : (
              <p>
                <SchemaType schema={schema} />
              </p>
            )}
          </article>
        ))}
      </section>
    </div>
  );
}

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function MethodBadge({ method }: { method: string }) {
  return <span className={`http-method http-method-${method}`}>{method.toUpperCase()}</span>;
}

function accessOf(security: Record<string, string[]>[] | undefined): string {
  if (!security || security.length === 0) return 'No session needed.';
  const schemes = security.map((requirement) => Object.keys(requirement));
  if (schemes.some((names) => names.length === 0)) return 'Works signed in or out (the session is optional).';
  return 'Needs a session (signed in); 401 without one.';
}

function OperationPanel({ document, entry }: { document: ApiDocument; entry: Operation }) {
  const { operation, method, path, parameters } = entry;
  const body = operation.requestBody?.content['application/json']?.schema;
  return (
    <article id={operation.operationId} className="panel api-operation" aria-labelledby={`${operation.operationId}-h`}>
      <h3 id={`${operation.operationId}-h`}>
        <MethodBadge method={method} /> <code>{path}</code>
      </h3>
      <p className="api-summary">{operation.summary}</p>
      <Prose text={operation.description} />
      <p className="meta">{accessOf(operation.security)}</p>

      {parameters.length > 0 && (
        <>
          <h4>Parameters</h4>
          <div className="api-table-wrap">
            <table className="api-table">
              <caption className="visually-hidden">Parameters of {operation.operationId}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">In</th>
                  <th scope="col">Type</th>
                  <th scope="col">Meaning</th>
                </tr>
              </thead>
              <tbody>
                {parameters.map((parameter) => (
                  <tr key={`${parameter.in}-${parameter.name}`}>
                    <th scope="row">
                      <code>{parameter.name}</code>
                      {!parameter.required && <span className="api-optional"> optional</span>}
                    </th>
                    <td>{parameter.in}</td>
                    <td>
                      <SchemaType schema={parameter.schema} />
                    </td>
                    <td>
                      <InlineMarkdown text={parameter.description ?? ''} />
                      {parameter.schema && (
                        <>
                          {' '}
                          <FieldNotes schema={{ ...parameter.schema, description: undefined }} />
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      {body && (
        <>
          <h4>Request body</h4>
          <p>
            JSON: <SchemaType schema={body} />
            {body.description && (
              <>
                {' '}
                — <InlineMarkdown text={body.description} />
              </>
            )}
          </p>
          {!body.$ref && <PropertiesTable schema={body} caption={`Body of ${operation.operationId}`} />}
        </>
      )}

      <h4>Answers</h4>
      <div className="api-table-wrap">
        <table className="api-table">
          <caption className="visually-hidden">Answers of {operation.operationId}</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Body</th>
              <th scope="col">Meaning</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(operation.responses).map(([status, reference]) => {
              const response = resolve<ResponseObject>(document, reference);
              const schema = response.content?.['application/json']?.schema;
              const headers = Object.entries(response.headers ?? {}).map(
                ([name, header]) => [name, resolve<HeaderObject>(document, header)] as const,
              );
              return (
                <tr key={status}>
                  <th scope="row">
                    {status} {REASONS[status]}
                  </th>
                  <td>{schema ? <SchemaType schema={schema} /> : 'none'}</td>
                  <td>
                    <Prose text={response.description} />
                    {headers.length > 0 && (
                      <ul className="api-headers">
                        {headers.map(([name, header]) => (
                          <li key={name}>
                            <code>{name}</code>
                            {header.required ? '' : ' (when given)'}: <InlineMarkdown text={header.description ?? ''} />
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </article>
  );
}
