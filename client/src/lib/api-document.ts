import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/**
 * docs/openapi.yaml, the API's OpenAPI 3.1 document, for the pages under `/api/docs`. It lies beside the client's
 * folder, the working directory of `next dev` and of the standalone server alike (which keeps the repository's
 * layout, and holds the document because next.config.ts traces it in), and is read once per process.
 */

/** The parts of a JSON Schema (2020-12, as OpenAPI 3.1 uses it) that the docs page shows. */
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  anyOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxProperties?: number;
  pattern?: string;
  default?: unknown;
}

export interface Reference {
  $ref: string;
}

export interface HeaderObject {
  description?: string;
  required?: boolean;
  schema?: SchemaObject;
}

export interface ParameterObject extends HeaderObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
}

export interface MediaTypes {
  [mediaType: string]: { schema?: SchemaObject };
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: MediaTypes;
}

export interface OperationObject {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: (ParameterObject | Reference)[];
  requestBody?: { required?: boolean; content: MediaTypes };
  responses: Record<string, ResponseObject | Reference>;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItem = { parameters?: (ParameterObject | Reference)[] } & Partial<Record<HttpMethod, OperationObject>>;

export interface ApiDocument {
  openapi: string;
  info: { title: string; version: string; summary?: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, SchemaObject>;
    parameters?: Record<string, ParameterObject>;
    headers?: Record<string, HeaderObject>;
    responses?: Record<string, ResponseObject>;
    securitySchemes?: Record<string, { type: string; in?: string; name?: string; description?: string }>;
  };
}

/** One operation with where it lives: what the docs page lists. */
export interface Operation {
  method: HttpMethod;
  path: string;
  operation: OperationObject;
  /** The path's parameters and the operation's own, references resolved. */
  parameters: ParameterObject[];
}

const DOCUMENT_PATH = path.join(process.cwd(), '..', 'docs', 'openapi.yaml');

let documentText: string | undefined;
let document: ApiDocument | undefined;

/** The document as written (YAML). */
export function readApiDocumentText(): string {
  documentText ??= fs.readFileSync(DOCUMENT_PATH, 'utf8');
  return documentText;
}

export function loadApiDocument(): ApiDocument {
  document ??= parse(readApiDocumentText()) as ApiDocument;
  return document;
}

/**
 * The same for everyone and changed only by a deployment: the edge may share it for a second, like the other
 * public pages (next.config.ts). Not a prerendered page's year at the edge, which would outlive the deployment.
 */
export const API_DOCUMENT_CACHE_CONTROL = 'public, max-age=0, s-maxage=1';

function isReference(value: object): value is Reference {
  return '$ref' in value && typeof (value as Reference).$ref === 'string';
}

/** Follows a local reference (`#/components/responses/NotFound`) to what it names; anything else as it is. */
export function resolve<T extends object>(document: ApiDocument, value: T | Reference): T {
  if (!isReference(value)) return value;
  const found = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, segment) => (node as Record<string, unknown> | undefined)?.[segment], document);
  if (found === undefined) throw new Error(`docs/openapi.yaml: ${value.$ref} names nothing`);
  return found as T;
}

/** The name of a schema from `#/components/schemas/<name>`, or undefined for any other reference. */
export function schemaName(ref: string): string | undefined {
  return /^#\/components\/schemas\/([^/]+)$/.exec(ref)?.[1];
}

/** Every operation, in the document's order. */
export function operationsOf(document: ApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([pathName, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((parameter) =>
        resolve<ParameterObject>(document, parameter),
      );
      return [{ method, path: pathName, operation, parameters }];
    }),
  );
}
