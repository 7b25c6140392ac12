import { Fragment, type ReactNode } from 'react';
import { schemaName, type SchemaObject } from '@/lib/api-document';

/** Inline Markdown of the document's descriptions: `code` and **bold**; paragraphs at blank lines. */
export function Prose({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <>
      {text
        .trim()
        .split(/\n\s*\n/)
        .map((paragraph, index) => (
          <p key={index}>
            <InlineMarkdown text={paragraph.replace(/\s*\n\s*/g, ' ')} />
          </p>
        ))}
    </>
  );
}

export function InlineMarkdown({ text }: { text: string }) {
  return (
    <>
      {text.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map((part, index) => {
        if (part.startsWith('`') && part.endsWith('`') && part.length > 1) {
          return <code key={index}>{part.slice(1, -1)}</code>;
        }
        if (part.startsWith('**') && part.endsWith('**') && part.length > 3) {
          return <strong key={index}>{part.slice(2, -2)}</strong>;
        }
        return <Fragment key={index}>{part}</Fragment>;
      })}
    </>
  );
}

const quoted = (value: unknown) => <code>{JSON.stringify(value)}</code>;

function joined(parts: ReactNode[], separator: string): ReactNode {
  return parts.map((part, index) => (
    <Fragment key={index}>
      {index > 0 && separator}
      {part}
    </Fragment>
  ));
}

/** What a value of `schema` is, in a few words: `Ticket` (a link to it), `string (uuid) or null`, `array of Order`. */
export function SchemaType({ schema }: { schema: SchemaObject | undefined }): ReactNode {
  if (!schema) return 'any JSON';
  if (schema.$ref) {
    const name = schemaName(schema.$ref);
    return name ? (
      <a href={`#schema-${name}`}>
        <code>{name}</code>
      </a>
    ) : (
      <code>{schema.$ref}</code>
    );
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    return joined(
      alternatives.map((alternative, index) => <SchemaType key={index} schema={alternative} />),
      ' or ',
    );
  }
  if (schema.const !== undefined) return quoted(schema.const);
  if (schema.enum) return <>one of {joined(schema.enum.map(quoted), ', ')}</>;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return 'any JSON';
  return joined(
    types.map((type) => {
      if (type === 'array') {
        return (
          <>
            array of <SchemaType schema={schema.items} />
          </>
        );
      }
      if (type === 'object' && schema.maxProperties === 0) return 'empty object';
      return schema.format && type !== 'null' ? `${type} (${schema.format})` : type;
    }),
    ' or ',
  );
}

/** The limits a value must keep, in words: "1 to 120 characters", "at least 1", "matches `…`". */
export function constraintsOf(schema: SchemaObject): string[] {
  const limits: string[] = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    if (schema.minLength !== undefined && schema.maxLength !== undefined) {
      limits.push(`${schema.minLength} to ${schema.maxLength} characters`);
    } else if (schema.maxLength !== undefined) {
      limits.push(`at most ${schema.maxLength} characters`);
    } else {
      limits.push(`at least ${schema.minLength} characters`);
    }
  }
  if (schema.minimum !== undefined && schema.maximum !== undefined) {
    limits.push(`from ${schema.minimum} to ${schema.maximum}`);
  } else if (schema.minimum !== undefined) {
    limits.push(`at least ${schema.minimum}`);
  } else if (schema.maximum !== undefined) {
    limits.push(`at most ${schema.maximum}`);
  }
  if (schema.exclusiveMinimum !== undefined) limits.push(`more than ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined) limits.push(`less than ${schema.exclusiveMaximum}`);
  if (schema.minItems !== undefined) limits.push(`at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
  if (schema.pattern !== undefined) limits.push(`matches ${schema.pattern}`);
  if (schema.default !== undefined) limits.push(`default ${JSON.stringify(schema.default)}`);
  return limits;
}

/** What a field's cell says besides its type: its description and limits. */
export function FieldNotes({ schema }: { schema: SchemaObject }) {
  const limits = constraintsOf(schema);
  return (
    <>
      <InlineMarkdown text={schema.description?.trim().replace(/\s*\n\s*/g, ' ') ?? ''} />
      {limits.length > 0 && (
        <span className="api-limits">
          {schema.description ? ' ' : ''}({limits.join('; ')})
        </span>
      )}
    </>
  );
}

/** The fields of an object schema as a table: name, type, whether it is always there, what it means. */
export function PropertiesTable({ schema, caption }: { schema: SchemaObject; caption: string }) {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return null;
  const required = new Set(schema.required ?? []);
  return (
    <div className="api-table-wrap">
      <table className="api-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Type</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          {properties.map(([name, property]) => (
            <tr key={name}>
              <th scope="row">
                <code>{name}</code>
                {!required.has(name) && <span className="api-optional"> optional</span>}
              </th>
              <td>
                <SchemaType schema={property} />
              </td>
              <td>
                <FieldNotes schema={property} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
