import path from 'node:path';
import ts from 'typescript';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { hasCrdSchema } from './crd-schema';
import { K8S_DIR } from './paths';
import { describeObject, type K8sObject } from './render';

interface ModelClass {
  new (data: K8sObject): { validate(): void };
}

/** The kubernetes-models modules for the API groups Ticketing uses, by apiVersion. */
const MODULES: Record<string, { module: Record<string, unknown>; importPath: string }> = {
  v1: { module: coreV1, importPath: 'kubernetes-models/v1' },
  'apps/v1': { module: appsV1, importPath: 'kubernetes-models/apps/v1' },
  'autoscaling/v2': { module: autoscalingV2, importPath: 'kubernetes-models/autoscaling/v2' },
  'networking.k8s.io/v1': { module: networkingV1, importPath: 'kubernetes-models/networking.k8s.io/v1' },
  'policy/v1': { module: policyV1, importPath: 'kubernetes-models/policy/v1' },
};

/**
 * Kinds kubernetes-models does not know (Gateway API CRDs). Allowed only here, and checked structurally by
 * edge.test.ts instead.
 */
export const STRUCTURALLY_CHECKED = new Set([
  'gateway.networking.k8s.io/v1/Gateway',
  'gateway.networking.k8s.io/v1/HTTPRoute',
]);

const modelClass = (object: K8sObject): ModelClass | undefined => {
  const entry = MODULES[object.apiVersion]?.module[object.kind];
  return typeof entry === 'function' ? (entry as ModelClass) : undefined;
};

export const isStructurallyChecked = (object: K8sObject): boolean =>
  STRUCTURALLY_CHECKED.has(`${object.apiVersion}/${object.kind}`);

/**
 * Validates each object with its kubernetes-models class (`new Model(object).validate()`): required fields,
 * types, enums. Returns one message per invalid or unknown object. Custom resources whose CRD schema is
 * vendored (schemas/) are left to `validateWithCrdSchemas`.
 */
export function validateWithModels(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    if (isStructurallyChecked(object) || hasCrdSchema(object)) continue;
    const Model = modelClass(object);
    if (!Model) {
      problems.push(`${describeObject(object)}: ${object.apiVersion} ${object.kind} has no kubernetes-models class`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${describeObject(object)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * kubernetes-models' JSON schemas ignore unknown fields, so a misspelt `readOnlyRootFileSystem` would pass
 * and do nothing. This types each object against its kubernetes-models interface in a generated TypeScript
 * file (never written to disk) and reports TypeScript's excess-property and type errors, which name the field.
 */
export function findUnknownFields(objects: K8sObject[]): string[] {
  const checked = objects.filter((object) => !isStructurallyChecked(object) && modelClass(object));
  const lines: string[] = [];
  const lineOwners: string[] = [];
  const imports = new Map<string, string>();
  checked.forEach((object, index) => {
    const entry = MODULES[object.apiVersion];
    if (!entry) return;
    const alias = `${object.apiVersion.replace(/[^A-Za-z0-9]/g, '_')}_I${object.kind}`;
    imports.set(alias, `import type { I${object.kind} as ${alias} } from '${entry.importPath}/${object.kind}';`);
    for (const line of `export const object${index}: ${alias} = ${JSON.stringify(object, null, 2)};`.split('\n')) {
      lines.push(line);
      lineOwners.push(describeObject(object));
    }
  });
  const header = [...imports.values()];
  const source = [...header, ...lines].join('\n');
  const fileName = path.join(K8S_DIR, 'test', '__rendered_objects__.ts');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion)
      : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));

  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const owner = lineOwners[line - header.length] ?? 'imports';
    return `${owner}: ${message} (at: ${source.split('\n')[line]?.trim()})`;
  });
}
