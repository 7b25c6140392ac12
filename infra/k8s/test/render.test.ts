import fs from 'node:fs';
import path from 'node:path';
import { K8S_DIR, OVERLAYS } from './support/paths';
import { describeObject, kustomize, parseObjects, render } from './support/render';
import { crdValidator, hasCrdSchema, validateWithCrdSchemas } from './support/crd-schema';
import { findUnknownFields, isStructurallyChecked, validateWithModels } from './support/schema';

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  it('renders with kubectl kustomize', () => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      expect(object.metadata.namespace).toBe('ticketing');
    }
  });

  it('validates every object against the Kubernetes schemas (kubernetes-models)', () => {
    expect(validateWithModels(render(overlay))).toEqual([]);
  });

  it('has no field the Kubernetes API does not know (typed against the kubernetes-models interfaces)', () => {
    expect(findUnknownFields(render(overlay))).toEqual([]);
  });

  it('validates every custom resource against its CRD schema as published (CloudNativePG Cluster), unknown fields refused', () => {
    const custom = render(overlay).filter(hasCrdSchema);
    expect(custom.map(describeObject).sort()).toEqual([
      'Cluster/postgres-auth',
      'Cluster/postgres-orders',
      'Cluster/postgres-payments',
      'Cluster/postgres-tickets',
    ]);
    expect(validateWithCrdSchemas(custom)).toEqual([]);
  });

  it('allows only the Gateway API kinds outside kubernetes-models and the vendored CRD schemas', () => {
    const structural = render(overlay).filter(isStructurallyChecked).map(describeObject);
    if (overlay.endsWith('gateway-api')) {
      expect(structural.sort()).toEqual([
        'Gateway/ticketing',
        'HTTPRoute/ticketing',
        'HTTPRoute/ticketing-internal-api',
        'HTTPRoute/ticketing-streams',
      ]);
    } else {
      expect(structural).toEqual([]);
    }
  });

  it('commits no Secret: every secret is created by hand (README)', () => {
    expect(render(overlay).filter((object) => object.kind === 'Secret')).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('catch a misspelt field that kubernetes-models alone would accept', () => {
    const [deployment] = parseObjects(
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec:
      containers:
        - name: typo
          image: typo
          securityContext: {readOnlyRootFileSystem: true}
`,
      'inline',
    );
    expect(validateWithModels([deployment!])).toEqual([]);
    expect(findUnknownFields([deployment!]).join('\n')).toMatch(/readOnlyRootFileSystem/);
  });

  it('catch an invalid object', () => {
    const [service] = parseObjects(
      'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: "x"}]}\n',
      'inline',
    );
    expect(validateWithModels([service!]).join('\n')).toMatch(/Service\/bad/);
  });
});

describe('the CRD schema checks', () => {
  const cluster = (spec: string) =>
    parseObjects(
      `apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: sample}
spec:
${spec}`,
      'inline',
    );

  it('use the CloudNativePG Cluster schema vendored from a release, with its source', () => {
    const validator = crdValidator('postgresql.cnpg.io/v1/Cluster');
    expect(validator?.schema.crd).toBe('clusters.postgresql.cnpg.io');
    expect(validator?.schema.source).toMatch(
      /^https:\/\/github\.com\/cloudnative-pg\/cloudnative-pg\/releases\/download\/v\d+\.\d+\.\d+\/cnpg-\d+\.\d+\.\d+\.yaml$/,
    );
  });

  it('accept a valid Cluster', () => {
    expect(
      validateWithCrdSchemas(
        cluster('  instances: 3\n  storage: {size: 1Gi}\n  postgresql: {synchronous: {method: any, number: 1}}\n'),
      ),
    ).toEqual([]);
  });

  it('catch a misspelt field, a wrong type and a value outside an enum', () => {
    const problems = validateWithCrdSchemas(
      cluster(
        '  instances: three\n  storage: {size: 1Gi}\n' +
          '  postgresql: {synchronous: {method: any, number: 1, dataDurabillity: required}}\n' +
          '  primaryUpdateMethod: reboot\n',
      ),
    ).join('\n');
    expect(problems).toMatch(/\/spec\/instances must be integer/);
    expect(problems).toMatch(/\/spec\/postgresql\/synchronous must NOT have additional properties \(dataDurabillity\)/);
    expect(problems).toMatch(/\/spec\/primaryUpdateMethod must be equal to one of the allowed values/);
  });

  it('catch a missing required field', () => {
    expect(
      validateWithCrdSchemas(cluster('  instances: 3\n  postgresql: {synchronous: {number: 1}}\n')).join('\n'),
    ).toMatch(/\/spec\/postgresql\/synchronous must have required property 'method'/);
  });
});

describe('kustomizations', () => {
  const kustomizations = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'test' ? [] : kustomizations(full);
      return entry.name === 'kustomization.yaml' ? [full] : [];
    });

  it('generate no Secret (no secretGenerator): nothing secret is committed', () => {
    const files = kustomizations(K8S_DIR);
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) expect(fs.readFileSync(file, 'utf8')).not.toMatch(/secretGenerator/);
  });

  it('base renders on its own', () => {
    expect(parseObjects(kustomize(path.join(K8S_DIR, 'base')), 'base').length).toBeGreaterThan(20);
  });
});
