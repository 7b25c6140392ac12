import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

import { readEventStream, type EventStreamReader } from '@ticketing/common/testing';
import { ApiClient, type Reply } from './helpers';

/** docs/openapi.yaml: the document every answer of the real services is held to. */
export const DOCUMENT_PATH = path.resolve(__dirname, '..', '..', 'docs', 'openapi.yaml');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Schema {
  [keyword: string]: unknown;
}
interface Header {
  required?: boolean;
  schema?: Schema;
}
interface Response {
  headers?: Record<string, Header | { $ref: string }>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId: string;
  responses: Record<string, Response | { $ref: string }>;
}
interface Document {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, Schema> };
}

/** One HTTP exchange as the contract sees it. */
export interface Exchange {
  method: string;
  /** The path as sent, query included. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

/** An operation of the document: what a route is called, and where it lives. */
export interface DocumentedOperation {
  operationId: string;
  method: string;
  /** The path template, `/api/tickets/{id}`. */
  template: string;
  statuses: string[];
}

/** Where the component schemas live once handed to Ajv; `#/components/schemas/X` becomes `<this>#/$defs/X`. */
const SCHEMAS_ID = 'https://ticketing.dev/api/docs/openapi.json';

/** A copy of `value` whose `#/components/schemas/X` references point into the schemas Ajv holds. */
function pointIntoDefinitions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pointIntoDefinitions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) =>
      key === '$ref' && typeof child === 'string'
        ? [key, child.replace(/^#\/components\/schemas\//, `${SCHEMAS_ID}#/$defs/`)]
        : [key, pointIntoDefinitions(child)],
    ),
  );
}

/**
 * docs/openapi.yaml as a checker of real answers: an answer is right when its route, method and status are
 * documented, its JSON body validates against the documented schema (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1, with Ajv in strict mode, so a misspelt keyword in the document fails too), an answer documented
 * without a body has none, and every documented header that is required is there and valid. It also counts
 * which operation answered which status, so that a test can ask what it never saw.
 */
export class ApiContract {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp; parameters: number }[];
  /** `operationId status` of every answer checked. */
  readonly seen = new Set<string>();

  constructor(private readonly document: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SCHEMAS_ID, $defs: pointIntoDefinitions(document.components.schemas) });
    // Compiling them all now reports a broken schema at once, not when an answer first needs it.
    this.ajv.getSchema(SCHEMAS_ID);
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(
          `^${template
            .split(/\{[^}]+\}/)
            .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}$`,
        ),
        parameters: (template.match(/\{/g) ?? []).length,
      }))
      // `/api/tickets/mine` before `/api/tickets/{id}`: a literal segment wins, as in the services' routers.
      .sort((a, b) => a.parameters - b.parameters);
  }

  static load(file = DOCUMENT_PATH): ApiContract {
    return new ApiContract(parse(fs.readFileSync(file, 'utf8')) as Document);
  }

  /** Every operation of the document with the statuses it documents. */
  operations(): DocumentedOperation[] {
    return Object.entries(this.document.paths).flatMap(([template, item]) =>
      METHODS.flatMap((method) => {
        const operation = item[method];
        return operation
          ? [
              {
                operationId: operation.operationId,
                method: method.toUpperCase(),
                template,
                statuses: Object.keys(operation.responses),
              },
            ]
          : [];
      }),
    );
  }

  /** What is wrong with an exchange, in words; empty when it is what the document says. */
  check(exchange: Exchange): string[] {
    const where = `${exchange.method} ${exchange.path} → ${exchange.status}`;
    const pathname = new URL(exchange.path, 'http://contract.invalid').pathname;
    const template = this.templates.find((candidate) => candidate.pattern.test(pathname))?.template;
    if (template === undefined) return [`${where}: no path of docs/openapi.yaml matches ${pathname}`];
    const operation = this.document.paths[template]?.[exchange.method.toLowerCase() as (typeof METHODS)[number]];
    if (!operation) return [`${where}: docs/openapi.yaml has no ${exchange.method} ${template}`];
    this.seen.add(`${operation.operationId} ${exchange.status}`);
    const documented = operation.responses[String(exchange.status)];
    if (!documented) {
      return [`${where}: status ${exchange.status} is not documented for ${operation.operationId} (${exchange.text})`];
    }
    const response = this.resolve<Response>(documented);
    const key = `${operation.operationId} ${exchange.status}`;
    return [
      ...this.checkHeaders(key, where, response, exchange.headers),
      ...this.checkBody(key, where, response, exchange),
    ];
  }

  /** The documented statuses no checked exchange has answered, except those `exempt` names. */
  unseen(exempt: (operationId: string, status: string) => boolean): string[] {
    return this.operations().flatMap((operation) =>
      operation.statuses
        .filter((status) => !this.seen.has(`${operation.operationId} ${status}`))
        .filter((status) => !exempt(operation.operationId, status))
        .map((status) => `${operation.operationId} (${operation.method} ${operation.template}) ${status}`),
    );
  }

  private checkBody(key: string, where: string, response: Response, exchange: Exchange): string[] {
    if (response.content?.['text/event-stream']) {
      // A stream never ends: its type is checked here, its events by the test that reads them.
      const type = exchange.headers.get('content-type') ?? '';
      return /^text\/event-stream\b/.test(type) ? [] : [`${where}: content-type ${type}, not text/event-stream`];
    }
    const document = Object.keys(response.content ?? {}).find((type) => type !== 'application/json');
    if (document !== undefined && !response.content?.['application/json']) {
      // A document (a PDF, a calendar entry): its type is checked here, its contents by the test that reads it.
      const type = exchange.headers.get('content-type') ?? '';
      return type.startsWith(document) ? [] : [`${where}: content-type ${type}, not ${document}`];
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      return exchange.text === '' ? [] : [`${where}: documented without a body, but answered ${exchange.text}`];
    }
    const type = exchange.headers.get('content-type') ?? '';
    if (!/^application\/json\b/.test(type)) return [`${where}: content-type ${type}, not application/json`];
    let body: unknown;
    try {
      body = JSON.parse(exchange.text);
    } catch {
      return [`${where}: the body is not JSON: ${exchange.text}`];
    }
    const validate = this.validator(`${key} body`, schema);
    if (validate(body)) return [];
    return [`${where}: ${describeErrors(validate.errors, 'body')}; body ${exchange.text}`];
  }

  private checkHeaders(key: string, where: string, response: Response, headers: Headers): string[] {
    return Object.entries(response.headers ?? {}).flatMap(([name, reference]) => {
      const header = this.resolve<Header>(reference);
      // Several Set-Cookie headers cannot be folded into one value; each is checked on its own.
      const values =
        name.toLowerCase() === 'set-cookie'
          ? headers.getSetCookie()
          : [headers.get(name)].filter((value) => value !== null);
      if (values.length === 0) return header.required ? [`${where}: the required header ${name} is missing`] : [];
      if (!header.schema) return [];
      const validate = this.validator(`${key} header ${name}`, header.schema);
      return values
        .filter((value) => !validate(value))
        .map((value) => `${where}: header ${name}: ${describeErrors(validate.errors, name)} (${value})`);
    });
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(pointIntoDefinitions(schema) as Schema);
      this.validators.set(key, validate);
    }
    return validate;
  }

  private resolve<T>(value: T | { $ref: string }): T {
    if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T;
    const found = value.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, segment) => (node as Record<string, unknown> | undefined)?.[segment], this.document);
    if (found === undefined) throw new Error(`docs/openapi.yaml: ${value.$ref} names nothing`);
    return found as T;
  }
}

/** Ajv's errors in words, naming the property that is not allowed (Ajv's own text leaves it out). */
function describeErrors(errors: ValidateFunction['errors'], name: string): string {
  return (errors ?? [])
    .map((error) => {
      const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
      return `${name}${error.instancePath} ${error.message ?? error.keyword}${extra}`;
    })
    .join(', ');
}

/** Fails with every problem of an exchange, naming it whole: what was sent and what came back. */
export function expectToKeepTheContract(contract: ApiContract, exchange: Exchange): void {
  const problems = contract.check(exchange);
  if (problems.length > 0) throw new Error(`the answer breaks docs/openapi.yaml:\n${problems.join('\n')}`);
}

/** An {@link ApiClient} whose every answer is held to the contract as it arrives. */
export class ContractClient extends ApiClient {
  constructor(
    private readonly contract: ApiContract,
    private readonly streamBaseUrl: string,
    email?: string,
  ) {
    super(streamBaseUrl, email);
  }

  /**
   * Opens a stream of server-sent events with this client's session, as a browser's EventSource would, and
   * holds its answer to the contract: a stream once its headers are in, an error once its body is. Close it.
   */
  async openStream(path: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
    const cookie = this.cookieHeader();
    const reader = await readEventStream(`${this.streamBaseUrl}${path}`, { ...(cookie ? { cookie } : {}), ...headers });
    if (reader.status !== 200) await reader.ended;
    const exchange: Exchange = { method: 'GET', path, status: reader.status, headers: new Headers(), text: '' };
    for (const [name, value] of Object.entries(reader.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
        exchange.headers.append(name, one);
    }
    exchange.text = reader.status === 200 ? '' : reader.text();
    try {
      expectToKeepTheContract(this.contract, exchange);
    } catch (error) {
      reader.close();
      throw error;
    }
    return reader;
  }

  override async request<Body = unknown>(
    method: string,
    path: string,
    requestBody?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Reply<Body>> {
    const reply = await super.request<Body>(method, path, requestBody, extraHeaders);
    expectToKeepTheContract(this.contract, reply);
    return reply;
  }
}

/**
 * A request `fetch` cannot send (a GET with a body), straight over HTTP/1.1, held to the contract too: the
 * services read a JSON body on any method, so any route can refuse one that is too large.
 */
export function sendRaw(
  contract: ApiContract,
  baseUrl: string,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      // Never an answer the gateway kept for another request.
      'cache-control': 'no-cache',
      ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }),
      ...request.headers,
    };
    const outgoing = http.request(new URL(request.path, baseUrl), { method: request.method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
            headers.append(name, one);
        }
        const exchange: Exchange = {
          method: request.method,
          path: request.path,
          status: incoming.statusCode ?? 0,
          headers,
          text: Buffer.concat(chunks).toString('utf8'),
        };
        try {
          expectToKeepTheContract(contract, exchange);
          resolve(exchange);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
