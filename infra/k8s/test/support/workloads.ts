import fs from 'node:fs';
import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { K8S_DIR } from './paths';
import { describeObject, type K8sObject } from './render';

/** A Deployment or StatefulSet: what runs pods. */
export type Workload = K8sObject & {
  spec: { replicas?: number; selector: { matchLabels?: Record<string, string> }; template: IPodTemplateSpec };
};
export type ServiceObject = K8sObject & IService;

export function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet') as Workload[];
}

export function containersOf(workload: Workload): IContainer[] {
  return workload.spec.template.spec?.containers ?? [];
}

/** The Deployments of Ticketing's own apps (five services, the client, the dev-only Stripe emulator). */
export function appDeployments(objects: K8sObject[]): Workload[] {
  return workloads(objects).filter((workload) => {
    const component = workload.spec.template.metadata?.labels?.['app.kubernetes.io/component'];
    return workload.kind === 'Deployment' && (component === 'backend' || component === 'frontend');
  });
}

/** The container's port number for a probe/Service port given by name or number; undefined when unknown. */
export function containerPortNumber(container: IContainer, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Workloads whose pods a Service selects (every selector label matches the pod template's labels). */
export function selectedWorkloads(objects: K8sObject[], service: ServiceObject): Workload[] {
  const selector = service.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) return [];
  return workloads(objects).filter((workload) => {
    const labels = workload.spec.template.metadata?.labels ?? {};
    return Object.entries(selector).every(([key, value]) => labels[key] === value);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Secrets: never committed. infra/k8s/README.md documents each one with a `kubectl create secret` command;
// these are stand-in values of the right shape, used to check that what a Deployment assembles parses.

const SAMPLE_HEX = '0123456789abcdef'.repeat(4);

/** A sample value per documented secret key (`<secret>/<key>`); a key missing here fails the check. */
export const SECRET_SAMPLES: Readonly<Record<string, string>> = {
  'jwt-key/JWT_KEY': SAMPLE_HEX,
  // 32 bytes, base64url without padding, as `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='` makes it.
  'pass-signing-key/PASS_SIGNING_KEY': 'c2FtcGxlLXBhc3Mtc2lnbmluZy1rZXktMzItYnl0ZXM',
  'stripe/STRIPE_SECRET_KEY': 'sk_live_sample',
  'stripe/STRIPE_WEBHOOK_SECRET': 'whsec_sample',
  'stripe/STRIPE_PUBLISHABLE_KEY': 'pk_live_sample',
  'ticketing-tls/tls.crt': 'certificate',
  'ticketing-tls/tls.key': 'key',
};

/** A CloudNativePG Cluster, as far as the checks read it. */
export type PostgresCluster = K8sObject & {
  spec: {
    instances: number;
    bootstrap?: { initdb?: { database?: string; owner?: string; secret?: { name: string } } };
    [key: string]: unknown;
  };
};

export const postgresClusters = (objects: K8sObject[]): PostgresCluster[] =>
  objects.filter(
    (object) => object.apiVersion === 'postgresql.cnpg.io/v1' && object.kind === 'Cluster',
  ) as PostgresCluster[];

/**
 * The secrets the CloudNativePG operator makes for the Clusters of a render, as `<secret>/<key>` with a sample
 * value: `<cluster>-app`, the database owner's credentials (unless the Cluster names a secret of its own).
 * Its password is 64 letters and digits (the operator's `password.Generate(64, 10, 0, false, true)` in
 * internal/controller/cluster_create.go), so it is URL-safe.
 */
export function operatorSecrets(objects: K8sObject[]): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const cluster of postgresClusters(objects)) {
    const initdb = cluster.spec.bootstrap?.initdb;
    if (!initdb || initdb.secret) continue;
    const name = `${cluster.metadata.name}-app`;
    const owner = initdb.owner ?? 'app';
    const database = initdb.database ?? 'app';
    const password = 'Sample0123456789'.repeat(4);
    const host = `${cluster.metadata.name}-rw`;
    secrets.set(`${name}/username`, owner).set(`${name}/user`, owner).set(`${name}/password`, password);
    secrets.set(`${name}/dbname`, database).set(`${name}/host`, host).set(`${name}/port`, '5432');
    const namespace = cluster.metadata.namespace ?? 'default';
    secrets.set(`${name}/uri`, `postgresql://${owner}:${password}@${host}.${namespace}:5432/${database}`);
  }
  return secrets;
}

/**
 * The secrets infra/k8s/README.md tells the operator to create, as `<secret>/<key>`: every
 * `kubectl … create secret generic NAME … --from-literal=KEY=…` (continuation lines joined) and
 * `kubectl … create secret tls NAME …` (keys tls.crt and tls.key).
 */
export function documentedSecrets(readme = fs.readFileSync(path.join(K8S_DIR, 'README.md'), 'utf8')): Set<string> {
  const documented = new Set<string>();
  const commands = readme.replace(/\\\n\s*/g, ' ').split('\n');
  for (const line of commands) {
    const generic = /kubectl\b.*\bcreate secret generic ([a-z0-9-]+)\b(.*)$/.exec(line);
    if (generic) {
      const [, name, rest] = generic;
      for (const literal of (rest ?? '').matchAll(/--from-literal=([A-Za-z0-9_.-]+)=/g)) {
        documented.add(`${name}/${literal[1]}`);
      }
    }
    const tls = /kubectl\b.*\bcreate secret tls ([a-z0-9-]+)\b/.exec(line);
    if (tls) {
      documented.add(`${tls[1]}/tls.crt`);
      documented.add(`${tls[1]}/tls.key`);
    }
  }
  return documented;
}

export interface ResolvedEnvironment {
  /** Every variable the container sees, with secrets replaced by their samples. */
  env: Record<string, string>;
  /** What could not be resolved: a missing ConfigMap or key, an undocumented secret, a bad reference. */
  problems: string[];
}

/**
 * The environment a container gets, the way the kubelet builds it: `envFrom` first, then `env` in order,
 * `$(VAR)` expanded from variables defined before it (`$$` escapes). ConfigMaps are read from the render;
 * a secret key counts when the README documents it or an operator makes it for an object of the render
 * (`operatorSecrets`), and stands in with its sample value.
 */
export function resolveEnvironment(
  objects: K8sObject[],
  workload: Workload,
  container: IContainer,
  documented: Set<string>,
): ResolvedEnvironment {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const where = `${describeObject(workload)} container ${container.name}`;
  const configMap = (name: string) =>
    objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name) as
      (K8sObject & { data?: Record<string, string> }) | undefined;
  const madeByOperator = operatorSecrets(objects);
  const secret = (name: string, key: string): string | undefined => {
    const id = `${name}/${key}`;
    if (madeByOperator.has(id)) return madeByOperator.get(id);
    if (!documented.has(id)) {
      problems.push(`${where}: secret ${id} is not documented in infra/k8s/README.md`);
      return undefined;
    }
    const sample = SECRET_SAMPLES[id];
    if (sample === undefined) problems.push(`${where}: no sample value for secret ${id} in test/support/workloads.ts`);
    return sample;
  };

  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const found = configMap(source.configMapRef.name ?? '');
      if (!found) problems.push(`${where}: envFrom ConfigMap ${source.configMapRef.name} is not in the render`);
      else Object.assign(env, found.data ?? {});
    } else {
      problems.push(`${where}: envFrom other than a ConfigMap is not checked: ${JSON.stringify(source)}`);
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) => {
        if (name === undefined) return '$';
        if (env[name] === undefined) {
          problems.push(`${where}: ${variable.name} refers to $(${name}), which is not defined before it`);
          return match;
        }
        return env[name];
      });
      continue;
    }
    const from = variable.valueFrom;
    let value: string | undefined;
    if (from?.configMapKeyRef) {
      value = configMap(from.configMapKeyRef.name ?? '')?.data?.[from.configMapKeyRef.key];
      if (value === undefined) {
        problems.push(`${where}: ${variable.name} reads missing ConfigMap key ${JSON.stringify(from.configMapKeyRef)}`);
      }
    } else if (from?.secretKeyRef) {
      value = secret(from.secretKeyRef.name ?? '', from.secretKeyRef.key);
    } else if (from?.fieldRef) {
      value = `<${from.fieldRef.fieldPath}>`;
    } else {
      problems.push(`${where}: ${variable.name} has neither a value nor a supported valueFrom`);
    }
    if (value !== undefined) env[variable.name] = value;
  }
  return { env, problems };
}

/** Every secret a render references (env, envFrom, volumes, Ingress/Gateway TLS), as `<secret>/<key>`. */
export function referencedSecrets(objects: K8sObject[]): Set<string> {
  const referenced = new Set<string>();
  for (const workload of workloads(objects)) {
    const pod = workload.spec.template.spec;
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) referenced.add(`${ref.name}/${ref.key}`);
      }
      for (const source of container.envFrom ?? []) {
        if (source.secretRef) referenced.add(`${source.secretRef.name}/*`);
      }
    }
    for (const volume of pod?.volumes ?? []) {
      if (volume.secret) referenced.add(`${volume.secret.secretName}/*`);
    }
  }
  for (const object of objects) {
    if (object.kind === 'Ingress') {
      for (const tls of (object.spec as { tls?: { secretName?: string }[] }).tls ?? []) {
        if (tls.secretName) referenced.add(`${tls.secretName}/tls.crt`).add(`${tls.secretName}/tls.key`);
      }
    }
    if (object.kind === 'Gateway') {
      for (const listener of (object.spec as { listeners?: GatewayListener[] }).listeners ?? []) {
        for (const ref of listener.tls?.certificateRefs ?? []) {
          referenced.add(`${ref.name}/tls.crt`).add(`${ref.name}/tls.key`);
        }
      }
    }
  }
  return referenced;
}

export interface GatewayListener {
  name: string;
  protocol: string;
  port: number;
  tls?: { mode?: string; certificateRefs?: { kind?: string; name: string }[] };
}
