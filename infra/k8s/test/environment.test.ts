import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { authEnvironment } from '../../../auth/src/config';
import { sessionSettings } from '../../../common/src/config/load-config';
import { expirationEnvironment } from '../../../expiration/src/config';
import { ordersEnvironment } from '../../../orders/src/config';
import { paymentsEnvironment } from '../../../payments/src/config';
import { ticketsEnvironment } from '../../../tickets/src/config';
import { emulatorEnvironment } from '../../stripe-emulator/src/config';
import { SERVICES } from '../../local/src/services';
import { isProd, OVERLAYS, REPO_ROOT } from './support/paths';
import { findObject, objectsOfKind, render, type K8sObject } from './support/render';
import {
  containerPortNumber,
  containersOf,
  documentedSecrets,
  operatorSecrets,
  postgresClusters,
  referencedSecrets,
  resolveEnvironment,
  selectedWorkloads,
  type ServiceObject,
  type Workload,
} from './support/workloads';

/** Each Node service's environment schema, straight from its src/config.ts (the only reader of process.env). */
const SCHEMAS: Record<string, z.ZodObject> = {
  auth: authEnvironment,
  tickets: ticketsEnvironment,
  orders: ordersEnvironment,
  payments: paymentsEnvironment,
  expiration: expirationEnvironment,
};

/** The variables a schema requires: those whose own schema rejects `undefined` (no default, not optional). */
function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key)
    .sort();
}

const documented = documentedSecrets();

/**
 * The NATS servers a NATS_URL (a comma-separated list, as common's bus reads it) reaches: `Service/<name>` for
 * a Service's name, or the pod name for `<pod>.<headless Service>` of the StatefulSet that Service governs,
 * on the port that maps to the server's client port.
 */
function natsServersReached(objects: K8sObject[], natsUrl: string): { servers: string[]; problems: string[] } {
  const servers: string[] = [];
  const problems: string[] = [];
  const nats = findObject<Workload>(objects, 'StatefulSet', 'nats');
  const clientPort = containersOf(nats)[0]?.ports?.find((port) => port.name === 'client')?.containerPort;
  for (const entry of natsUrl.split(',')) {
    const url = new URL(entry);
    if (url.protocol !== 'nats:') problems.push(`${entry}: not nats://`);
    const [host, governing, ...rest] = url.hostname.split('.');
    const service = findObject<ServiceObject>(objects, 'Service', governing ?? host!);
    const port = service.spec?.ports?.find((candidate) => candidate.port === Number(url.port || 4222));
    const target = port && containerPortNumber(containersOf(nats)[0]!, port.targetPort ?? port.port);
    if (target !== clientPort) problems.push(`${entry}: port ${url.port} does not reach the servers' client port`);
    if (governing === undefined) {
      if (!selectedWorkloads(objects, service).includes(nats)) problems.push(`${entry}: selects no NATS server`);
      servers.push(`Service/${host}`);
      continue;
    }
    const ordinal = /^nats-(\d+)$/.exec(host!)?.[1];
    const serviceName = (nats.spec as { serviceName?: string }).serviceName;
    if (
      rest.length > 0 ||
      ordinal === undefined ||
      serviceName !== governing ||
      Number(ordinal) >= (nats.spec.replicas ?? 1)
    ) {
      problems.push(`${entry}: not a server of StatefulSet/nats under its headless Service ${serviceName}`);
    }
    servers.push(host!);
  }
  return { servers, problems };
}

function environmentOf(overlay: (typeof OVERLAYS)[number], name: string) {
  const objects = render(overlay);
  const deployment = findObject<Workload>(objects, 'Deployment', name);
  const [container] = containersOf(deployment);
  if (!container) throw new Error(`Deployment/${name} has no container`);
  return { objects, deployment, container, ...resolveEnvironment(objects, deployment, container, documented) };
}

it('computes the required variables from the schemas (not a hand-kept list)', () => {
  expect(requiredKeys(authEnvironment)).toEqual(['DATABASE_URL', 'JWT_KEY', 'NATS_URL', 'REDIS_URL']);
  expect(requiredKeys(expirationEnvironment)).toEqual(['NATS_URL', 'REDIS_URL']);
});

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.each(Object.keys(SCHEMAS))('%s', (name) => {
    const schema = SCHEMAS[name]!;

    it('sets every variable its config requires, from literals, a rendered ConfigMap or a documented Secret', () => {
      const { env, problems } = environmentOf(overlay, name);
      expect(problems).toEqual([]);
      expect(requiredKeys(schema).filter((key) => env[key] === undefined || env[key] === '')).toEqual([]);
    });

    it('starts: the environment it gets parses with its own schema', () => {
      const { env } = environmentOf(overlay, name);
      const result = schema.safeParse(env);
      expect(result.success ? [] : result.error.issues).toEqual([]);
    });

    it('runs in production mode, on every interface of the pod (its probes reach it), with PORT = its port in the local stack', () => {
      const { env } = environmentOf(overlay, name);
      expect(env.NODE_ENV).toBe('production');
      // The schema's default, 127.0.0.1, is a laptop's: a pod listening there would fail every probe.
      expect((schema.parse(env) as { HOST?: string }).HOST).toBe('0.0.0.0');
      expect(Number(env.PORT)).toBe(SERVICES.find((service) => service.name === name)?.port);
    });

    it("writes to its own database's primary: the -rw Service of the CloudNativePG Cluster that bootstraps it, as its owner, with the password the operator made", () => {
      const { env, container, objects } = environmentOf(overlay, name);
      if (!('DATABASE_URL' in schema.shape) || name === 'expiration') {
        expect(env.DATABASE_URL).toBeUndefined();
        return;
      }
      const url = new URL(env.DATABASE_URL!);
      expect(url.protocol).toBe('postgres:');
      expect(url.pathname).toBe(`/ticketing_${name}`);
      expect(url.username).toBe(name);
      const [cluster, ...others] = postgresClusters(objects).filter(
        (candidate) => candidate.spec.bootstrap?.initdb?.database === `ticketing_${name}`,
      );
      expect(others).toEqual([]);
      expect(cluster?.metadata.name).toBe(`postgres-${name}`);
      expect(cluster?.spec.bootstrap?.initdb?.owner).toBe(name);
      // The primary's Service (never -ro or -r, which serve standbys), on PostgreSQL's port.
      expect(url.hostname).toBe(`${cluster!.metadata.name}-rw`);
      expect(Number(url.port)).toBe(5432);
      const password = container.env?.find((variable) => variable.name === 'DB_PASSWORD');
      expect(password?.valueFrom?.secretKeyRef).toEqual({ name: `${cluster!.metadata.name}-app`, key: 'password' });
      expect(container.env?.find((variable) => variable.name === 'DATABASE_URL')?.value).toContain('$(DB_PASSWORD)');
    });

    it('points NATS_URL at every server of the NATS cluster, or at its client Service, on the client port', () => {
      const { env, objects } = environmentOf(overlay, name);
      const nats = findObject<Workload>(objects, 'StatefulSet', 'nats');
      const reached = natsServersReached(objects, env.NATS_URL!);
      expect(reached.problems).toEqual([]);
      const all = Array.from({ length: nats.spec.replicas ?? 1 }, (_, ordinal) => `nats-${ordinal}`);
      // Prod lists each server (a client reconnects to another when one goes); dev names the Service.
      if (isProd(overlay)) expect(reached.servers).toEqual(all);
      else expect(reached.servers).toEqual(['Service/nats']);
    });

    it('reads JWT_KEY from the jwt-key Secret when it reads the session', () => {
      const { container } = environmentOf(overlay, name);
      const jwt = container.env?.find((variable) => variable.name === 'JWT_KEY');
      if ('JWT_KEY' in schema.shape) expect(jwt?.valueFrom?.secretKeyRef).toEqual({ name: 'jwt-key', key: 'JWT_KEY' });
      else expect(jwt).toBeUndefined();
    });

    it('points REDIS_URL at a Service that exists on the right port', () => {
      const { env, objects } = environmentOf(overlay, name);
      for (const key of ['REDIS_URL'] as const) {
        if (!env[key]) continue;
        const url = new URL(env[key]);
        const service = findObject<ServiceObject>(objects, 'Service', url.hostname);
        expect(service.spec?.ports?.map((port) => port.port)).toContain(Number(url.port));
      }
    });
  });

  it('payments talks to real Stripe in prod (keys from the stripe Secret) and to the emulator in dev', () => {
    const { env, container, objects } = environmentOf(overlay, 'payments');
    const secretRef = (variable: string) =>
      container.env?.find((entry) => entry.name === variable)?.valueFrom?.secretKeyRef;
    if (isProd(overlay)) {
      expect(secretRef('STRIPE_SECRET_KEY')).toEqual({ name: 'stripe', key: 'STRIPE_SECRET_KEY' });
      expect(secretRef('STRIPE_WEBHOOK_SECRET')).toEqual({ name: 'stripe', key: 'STRIPE_WEBHOOK_SECRET' });
      expect(env.STRIPE_API_URL).toBeUndefined();
      expect(objects.filter((object) => object.metadata.name === 'stripe-emulator')).toEqual([]);
    } else {
      expect(env.STRIPE_SECRET_KEY).toBeUndefined();
      const url = new URL(env.STRIPE_API_URL!);
      const service = findObject<ServiceObject>(objects, 'Service', url.hostname);
      expect(service.metadata.name).toBe('stripe-emulator');
      expect(service.spec?.ports?.map((port) => port.port)).toContain(Number(url.port));
    }
  });

  it('NATS_STREAM_REPLICAS matches the NATS servers: 3 in prod, 1 in dev, as every service reads it', () => {
    const { env, objects } = environmentOf(overlay, 'orders');
    const nats = findObject<Workload>(objects, 'StatefulSet', 'nats');
    expect(Number(env.NATS_STREAM_REPLICAS)).toBe(isProd(overlay) ? 3 : 1);
    expect(nats.spec.replicas).toBe(isProd(overlay) ? 3 : 1);
    // The stream a service creates has the replicas its parsed config says (common's bus reads this field).
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const parsed = schema.parse(environmentOf(overlay, name).env) as { NATS_STREAM_REPLICAS?: number };
      expect([name, parsed.NATS_STREAM_REPLICAS]).toEqual([name, nats.spec.replicas]);
    }
  });

  it('the client renders with API_URL = the cluster edge, listening on all interfaces', () => {
    const { env, problems } = environmentOf(overlay, 'client');
    expect(problems).toEqual([]);
    const apiUrl = new URL(env.API_URL!);
    expect(apiUrl.protocol).toBe('http:');
    expect(apiUrl.hostname).toMatch(/\.svc\.cluster\.local$/);
    expect(env.HOSTNAME).toBe('0.0.0.0');
    expect(Number(env.PORT)).toBe(SERVICES.find((service) => service.name === 'client')?.port);
    expect(env.NODE_ENV).toBe('production');
    // Real Stripe Elements in prod (the publishable key); the emulator's test-card choice in dev.
    if (isProd(overlay)) expect(env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY).toBeDefined();
    else expect(env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY).toBeUndefined();
  });

  it("the client's calls on the visitor's session go to auth's own Service and port (AUTH_API_URL), the one hop auth trusts", () => {
    // Through the edge, a second proxy would restate the visitor's scheme and address as the client pod's: no
    // Secure cookie for a sign-in without JavaScript, and every such visitor one address for auth's limit.
    const { env, objects } = environmentOf(overlay, 'client');
    expect(env.AUTH_API_URL).toBeDefined();
    const authUrl = new URL(env.AUTH_API_URL!);
    expect(authUrl.protocol).toBe('http:');
    expect(authUrl.pathname).toBe('/');
    const service = findObject<ServiceObject>(objects, 'Service', authUrl.hostname);
    const servicePort = service.spec?.ports?.find((port) => port.port === Number(authUrl.port || 80));
    expect(servicePort).toBeDefined();
    const pods = selectedWorkloads(objects, service);
    expect(pods.map((pod) => pod.metadata.name)).toEqual(['auth']);
    const [container] = containersOf(pods[0]!);
    const reached = containerPortNumber(container!, servicePort!.targetPort ?? servicePort!.port);
    expect(reached).toBe(SERVICES.find((definition) => definition.name === 'auth')?.port);
  });

  it('no NetworkPolicy keeps the client from auth', () => {
    const objects = render(overlay);
    const labelsOf = (name: string) =>
      findObject<Workload>(objects, 'Deployment', name).spec.template.metadata?.labels ?? {};
    const selects = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
      Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
    type Policy = K8sObject & {
      spec: {
        podSelector?: { matchLabels?: Record<string, string> };
        policyTypes?: string[];
        ingress?: Array<{ from?: Array<{ podSelector?: { matchLabels?: Record<string, string> } }> }>;
      };
    };
    const guardingAuth = objectsOfKind<Policy>(objects, 'NetworkPolicy').filter(
      (policy) =>
        selects(policy.spec.podSelector, labelsOf('auth')) &&
        (policy.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
    );
    for (const policy of guardingAuth) {
      const admitsClient = (policy.spec.ingress ?? []).some(
        (rule) =>
          !rule.from || rule.from.some((peer) => peer.podSelector && selects(peer.podSelector, labelsOf('client'))),
      );
      expect([policy.metadata.name, admitsClient]).toEqual([policy.metadata.name, true]);
    }
  });

  it('every service that reads the session writes Secure cookies (the edge terminates TLS)', () => {
    for (const name of ['auth', 'tickets', 'orders', 'payments']) {
      const { env } = environmentOf(overlay, name);
      const parsed = SCHEMAS[name]!.parse(env) as Parameters<typeof sessionSettings>[0];
      expect([name, sessionSettings(parsed).cookieSecure]).toEqual([name, true]);
    }
  });

  if (!isProd(overlay)) {
    it('the Stripe emulator listens on the pod address and sends webhooks to payments', () => {
      const { env, objects } = environmentOf(overlay, 'stripe-emulator');
      const config = emulatorEnvironment.parse(env);
      expect(config.HOST).toBe('0.0.0.0');
      const webhook = new URL(config.STRIPE_WEBHOOK_URL!);
      const payments = findObject<ServiceObject>(objects, 'Service', webhook.hostname);
      expect(payments.metadata.name).toBe('payments');
      expect(payments.spec?.ports?.map((port) => port.port)).toContain(Number(webhook.port));
      expect(webhook.pathname).toBe('/api/payments/webhook');
    });
  }

  it('documents every secret it references in infra/k8s/README.md, but those the CloudNativePG operator makes', () => {
    const objects = render(overlay);
    const madeByOperator = operatorSecrets(objects);
    const undocumented = [...referencedSecrets(objects)].filter((id) => !documented.has(id) && !madeByOperator.has(id));
    expect(undocumented).toEqual([]);
  });
});

it('the client still reads API_URL and AUTH_API_URL (client/src/lib/config.ts)', () => {
  const source = fs.readFileSync(path.join(REPO_ROOT, 'client', 'src', 'lib', 'config.ts'), 'utf8');
  expect(source).toMatch(/process\.env\.API_URL/);
  expect(source).toMatch(/process\.env\.AUTH_API_URL/);
});
