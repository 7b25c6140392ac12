import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { K8S_DIR } from './paths';
import { describeObject, type K8sObject } from './render';

/** A CRD's schema as infra/k8s/schemas/vendor-crd-schema.js vendors it. */
export interface VendoredCrdSchema {
  source: string;
  crd: string;
  group: string;
  version: string;
  kind: string;
  openAPIV3Schema: Record<string, unknown>;
}

export const SCHEMAS_DIR = path.join(K8S_DIR, 'schemas');

/** Every vendored CRD schema, by `<group>/<version>/<Kind>` (the apiVersion and kind of its objects). */
export function vendoredCrdSchemas(): Map<string, VendoredCrdSchema> {
  const schemas = new Map<string, VendoredCrdSchema>();
  for (const file of fs.readdirSync(SCHEMAS_DIR).filter((name) => name.endsWith('.json'))) {
    const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as VendoredCrdSchema;
    schemas.set(`${schema.group}/${schema.version}/${schema.kind}`, schema);
  }
  return schemas;
}

type Schema = Record<string, unknown>;

/**
 * The CRD's structural schema as JSON Schema for Ajv, as strict as the API server with `--validate=strict`:
 * an object whose schema lists its properties takes no other field (the server prunes or, with strict
 * field validation, refuses an unknown one), unless it is marked `x-kubernetes-preserve-unknown-fields`.
 * What Ajv cannot check is dropped and counted: the CEL rules (`x-kubernetes-validations`), which only the
 * API server evaluates. The Kubernetes-only list and map markers carry no constraint on a single object.
 */
export function toJsonSchema(schema: unknown, dropped: { celRules: number }): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, dropped));
  if (schema === null || typeof schema !== 'object') return schema;
  const source = schema as Schema;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'x-kubernetes-validations') {
      dropped.celRules += (value as unknown[]).length;
      continue;
    }
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      copy.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, property]) => [name, toJsonSchema(property, dropped)]),
      );
    } else if (['items', 'additionalProperties', 'not', 'anyOf', 'allOf', 'oneOf'].includes(key)) {
      copy[key] = toJsonSchema(value, dropped);
    } else {
      copy[key] = value;
    }
  }
  const preservesUnknown = source['x-kubernetes-preserve-unknown-fields'] === true;
  if (source.properties && source.additionalProperties === undefined && !preservesUnknown) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** The OpenAPI formats the Kubernetes schemas use; Ajv checks the type, the API server the format. */
const OPENAPI_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'date-time', 'date', 'password', 'binary'];

export interface CrdValidator {
  /** The schema's source (release manifest URL) and the CRD's name. */
  schema: VendoredCrdSchema;
  validate: ValidateFunction;
  /** CEL rules in the CRD that only the API server evaluates (not checked here). */
  celRules: number;
}

const validators = new Map<string, CrdValidator>();

/** The validator of objects of `<group>/<version>/<Kind>`, or undefined when no schema is vendored. */
export function crdValidator(apiVersionAndKind: string): CrdValidator | undefined {
  const cached = validators.get(apiVersionAndKind);
  if (cached) return cached;
  const schema = vendoredCrdSchemas().get(apiVersionAndKind);
  if (!schema) return undefined;
  // Strict about keywords (one Ajv does not know fails the compile), not about types: an int-or-string has a
  // `pattern` beside `anyOf: [integer, string]`, which the API server applies to the string.
  const ajv = new Ajv({
    strict: true,
    strictTypes: false,
    allErrors: true,
    formats: Object.fromEntries(OPENAPI_FORMATS.map((format) => [format, true])),
  });
  const dropped = { celRules: 0 };
  const validator = {
    schema,
    validate: ajv.compile(toJsonSchema(schema.openAPIV3Schema, dropped) as Schema),
    ...dropped,
  };
  validators.set(apiVersionAndKind, validator);
  return validator;
}

export const hasCrdSchema = (object: K8sObject): boolean =>
  crdValidator(`${object.apiVersion}/${object.kind}`) !== undefined;

/** Validates each object that has a vendored CRD schema; one message per error, naming the object and field. */
export function validateWithCrdSchemas(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const validator = crdValidator(`${object.apiVersion}/${object.kind}`);
    if (!validator || validator.validate(object)) continue;
    for (const error of validator.validate.errors ?? []) {
      const extra =
        error.keyword === 'additionalProperties'
          ? ` (${(error.params as { additionalProperty: string }).additionalProperty})`
          : '';
      problems.push(
        `${describeObject(object)}: ${error.instancePath || '/'} ${error.message ?? error.keyword}${extra}`,
      );
    }
  }
  return problems;
}
