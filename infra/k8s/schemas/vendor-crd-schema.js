#!/usr/bin/env node
// Vendors the OpenAPI schema of one CustomResourceDefinition, so that the checks validate custom resources
// offline (test/support/crd-schema.ts). Run from the repository root, on the CRD (or the operator's release
// manifest that contains it) as published by its project:
//
//   node infra/k8s/schemas/vendor-crd-schema.js <crd-or-release.yaml> <kind> <source-url>
//
// Writes infra/k8s/schemas/<group>_<version>_<Kind>.json: the schema of the version the API server stores,
// with the `description` texts and the `status` (which the operator writes, never a manifest) left out: they
// are most of the file's size, and the source URL says where the whole is. Nothing else is changed.
const fs = require('node:fs');
const path = require('node:path');
const { parseAllDocuments } = require('yaml');

const [file, kind, source] = process.argv.slice(2);
if (!file || !kind || !source) {
  process.stderr.write(
    'usage: node infra/k8s/schemas/vendor-crd-schema.js <crd-or-release.yaml> <kind> <source-url>\n',
  );
  process.exit(2);
}

const crd = parseAllDocuments(fs.readFileSync(file, 'utf8'))
  .map((document) => document.toJS())
  .find((object) => object?.kind === 'CustomResourceDefinition' && object.spec?.names?.kind === kind);
if (!crd) throw new Error(`${file} has no CustomResourceDefinition of kind ${kind}`);
const version = crd.spec.versions.find((candidate) => candidate.storage);

/** A schema without its `description` keywords; a property *named* description is kept. */
function withoutDescriptions(schema) {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description') continue;
    if (key === 'properties') {
      copy.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, withoutDescriptions(property)]),
      );
    } else if (['items', 'additionalProperties', 'not', 'anyOf', 'allOf', 'oneOf'].includes(key)) {
      copy[key] = withoutDescriptions(value);
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

const vendored = {
  $comment:
    'Vendored by infra/k8s/schemas/vendor-crd-schema.js from the source below; descriptions and status left out. ' +
    'Regenerate on an operator upgrade, never edit by hand.',
  source,
  crd: crd.metadata.name,
  group: crd.spec.group,
  version: version.name,
  kind,
  openAPIV3Schema: withoutDescriptions(version.schema.openAPIV3Schema),
};
delete vendored.openAPIV3Schema.properties.status;
const out = path.join(__dirname, `${crd.spec.group}_${version.name}_${kind}.json`);
fs.writeFileSync(out, `${JSON.stringify(vendored, null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), out)} (${crd.metadata.name}, ${version.name})\n`);
