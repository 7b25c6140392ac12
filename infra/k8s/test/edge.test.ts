import fs from 'node:fs';
import path from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { parse } from 'yaml';
import { apiRoutes, edgeRoutes, streamPathPattern, streamRoutes } from '../../local/src/routing';
import { SERVICES } from '../../local/src/services';
import { isProd, K8S_DIR, OVERLAYS, REPO_ROOT, usesGatewayApi, type Overlay } from './support/paths';
import { describeObject, kustomize, objectsOfKind, parseObjects, render, type K8sObject } from './support/render';
import { findUnknownFields, validateWithModels } from './support/schema';
import {
  containerPortNumber,
  containersOf,
  documentedSecrets,
  selectedWorkloads,
  type GatewayListener,
  type ServiceObject,
} from './support/workloads';

/**
 * The routing table (infra/local/src/routing.ts, from services.ts), which the local edges are rendered from:
 * the cluster edge must route the same way.
 */
const ROUTES = edgeRoutes();
const API_ROUTES = apiRoutes();

/** The edge cache's nginx zone and bypass variable: named by the Ingress, defined by the controller's settings. */
const CACHE_ZONE = 'ticketing_micro';
const CACHE_BYPASS = '$ticketing_cache_bypass';
const CONFIGURATION_SNIPPET = 'nginx.ingress.kubernetes.io/configuration-snippet';

/** The nginx directives of a snippet, one per line, without comments. */
const directivesOf = (snippet: string | undefined): string[] =>
  (snippet ?? '')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');

/**
 * The live updates' paths (server-sent events), with the service each belongs to, and paths they must not
 * take: the stream routes need their own timeouts and no cache, and nothing else may get them.
 */
const SAMPLE_ID = '0b6f3c1e-8f5a-4c1e-9d2b-3f4a5b6c7d8e';
const STREAM_ROUTES = streamRoutes();
/** The stream routes the services declare (infra/local/src/services.ts), each with a sample id. */
const STREAM_PATHS: [string, string][] = STREAM_ROUTES.map(({ route, service }) => [
  route.replace(':id', SAMPLE_ID),
  service.name,
]);
const NOT_STREAM_PATHS = [
  '/api/tickets',
  '/api/tickets/mine',
  `/api/tickets/${SAMPLE_ID}`,
  `/api/tickets/${SAMPLE_ID}/streamx`,
  `/api/orders/${SAMPLE_ID}`,
  `/api/users/${SAMPLE_ID}/stream`,
  `/${SAMPLE_ID}/stream`,
];
const serviceOf = (name: string) => SERVICES.find((service) => service.name === name)!;
/** A duration of the Gateway API (`1h`, `90m`, `3600s`) in seconds. */
const durationSeconds = (duration: string | undefined) =>
  [...(duration ?? '').matchAll(/(\d+)(h|ms|m|s)/g)].reduce(
    (total, [, amount, unit]) =>
      total + Number(amount) * { h: 3600, m: 60, s: 1, ms: 0.001 }[unit as 'h' | 'm' | 's' | 'ms'],
    0,
  );

const SITE_HOST: Record<'dev' | 'prod', string> = { dev: 'ticketing.dev', prod: 'ticketing.example.com' };
const siteHost = (overlay: Overlay) => SITE_HOST[isProd(overlay) ? 'prod' : 'dev'];

/**
 * Follows an edge backend (Service name and port) to the pods: the Service exists and exposes the port,
 * its targetPort is a containerPort of the pods it selects, and those pods' PORT is that containerPort.
 * Returns the problems, or the container port reached.
 */
function followBackend(objects: K8sObject[], name: string, port: number | string | undefined): number | string {
  const service = objects.find((object) => object.kind === 'Service' && object.metadata.name === name) as
    ServiceObject | undefined;
  if (!service) return `Service ${name} does not exist`;
  const servicePort = service.spec?.ports?.find((candidate) =>
    typeof port === 'number' ? candidate.port === port : candidate.name === port,
  );
  if (!servicePort) return `Service ${name} has no port ${port}`;
  const pods = selectedWorkloads(objects, service);
  if (pods.length !== 1) return `Service ${name} selects ${pods.length} workloads, expected 1`;
  const [container] = containersOf(pods[0]!);
  if (!container) return `${describeObject(pods[0]!)} has no container`;
  const containerPort = containerPortNumber(container, servicePort.targetPort ?? servicePort.port);
  if (containerPort === undefined) {
    return `Service ${name} port ${port} targets ${servicePort.targetPort}, not a containerPort of ${describeObject(pods[0]!)}`;
  }
  const portEnv = container.env?.find((variable) => variable.name === 'PORT')?.value;
  if (Number(portEnv) !== containerPort) {
    return `${describeObject(pods[0]!)} listens on PORT=${portEnv}, but its containerPort is ${containerPort}`;
  }
  return containerPort;
}

interface HttpRoute extends K8sObject {
  spec: {
    parentRefs?: { name: string; kind?: string; group?: string; namespace?: string }[];
    hostnames?: string[];
    rules?: {
      matches?: { path?: { type?: string; value?: string } }[];
      backendRefs?: { name: string; port?: number; kind?: string; group?: string }[];
      timeouts?: { request?: string; backendRequest?: string };
    }[];
  };
}
interface Gateway extends K8sObject {
  spec: { gatewayClassName?: string; listeners?: GatewayListener[] };
}

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  const objects = () => render(overlay);

  if (!usesGatewayApi(overlay)) {
    describe('the Ingress', () => {
      const ingress = () => {
        const ingresses = objectsOfKind<IIngress>(objects(), 'Ingress');
        expect(ingresses.map(describeObject).sort()).toEqual(['Ingress/ticketing', 'Ingress/ticketing-streams']);
        return ingresses.find((candidate) => candidate.metadata.name === 'ticketing')!;
      };

      it('is ingress-nginx (networking.k8s.io/v1, ingressClassName nginx)', () => {
        expect(ingress().apiVersion).toBe('networking.k8s.io/v1');
        expect(ingress().spec?.ingressClassName).toBe('nginx');
      });

      it('routes every path of the local gateway on the site host, and the API on any host', () => {
        const rules = ingress().spec?.rules ?? [];
        const table = (host: string | undefined) =>
          rules
            .filter((rule) => rule.host === host)
            .flatMap((rule) => rule.http?.paths ?? [])
            .map((path) => [path.path, path.pathType, path.backend.service?.name, path.backend.service?.port?.number])
            .sort();
        const expected = (routes: typeof ROUTES) =>
          routes.map(({ prefix, service }) => [prefix, 'Prefix', service.name, service.port]).sort();
        expect(table(siteHost(overlay))).toEqual(expected(ROUTES));
        expect(table(undefined)).toEqual(expected(API_ROUTES));
        expect(rules.map((rule) => rule.host ?? '*').sort()).toEqual(['*', siteHost(overlay)].sort());
      });

      it('sends every path to a Service port that reaches the pod on its PORT', () => {
        for (const rule of ingress().spec?.rules ?? []) {
          for (const path of rule.http?.paths ?? []) {
            const backend = path.backend.service;
            expect([
              path.path,
              followBackend(objects(), backend?.name ?? '', backend?.port?.number ?? backend?.port?.name),
            ]).toEqual([path.path, expect.any(Number)]);
          }
        }
      });

      it('keeps what the services mark public, s-maxage=N in a micro-cache, one upstream request per key at a time', () => {
        const annotations = (ingress().metadata.annotations ?? {}) as Record<string, string>;
        // nginx caches only what it buffers, and ingress-nginx does not buffer by default.
        expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('on');
        const directives = directivesOf(annotations[CONFIGURATION_SNIPPET]);
        expect(directives).toEqual(
          expect.arrayContaining([
            `proxy_cache ${CACHE_ZONE};`,
            // $host, not the default $proxy_host: ingress-nginx proxies every location to one `upstream_balancer`.
            'proxy_cache_key $scheme$host$request_uri;',
            'proxy_cache_lock on;',
            `proxy_cache_bypass ${CACHE_BYPASS};`,
          ]),
        );
        // The upstream's Cache-Control alone decides: nothing unmarked is kept (proxy_cache_valid), no header
        // loses its meaning (private, no-store, Set-Cookie, Vary), nothing older than its s-maxage is served.
        expect(directives.join('\n')).not.toMatch(/proxy_cache_valid|proxy_ignore_headers|proxy_cache_use_stale/);
        // Passes the annotation-value-word-blocklist operators commonly set.
        expect(directives.join('\n')).not.toMatch(/["'{}]|\blocation\b|\broot\b|proxy_pass/);
      });

      describe('its live updates (ticketing-streams)', () => {
        const streams = () =>
          objectsOfKind<IIngress>(objects(), 'Ingress').find((i) => i.metadata.name === 'ticketing-streams')!;
        const annotations = () => (streams().metadata.annotations ?? {}) as Record<string, string>;
        /** The stream paths as nginx matches them under use-regex: `~* "^<path>"`. */
        const streamPaths = () =>
          (streams().spec?.rules ?? []).flatMap((rule) =>
            (rule.http?.paths ?? []).map((path) => ({
              pattern: new RegExp(`^${path.path}`, 'i'),
              service: path.backend.service?.name,
              port: path.backend.service?.port?.number,
              path,
            })),
          );

        it('has exactly the stream paths the routing table renders, each to its service', () => {
          const committed = (streams().spec?.rules ?? [])
            .flatMap((rule) => rule.http?.paths ?? [])
            .map((path) => [path.path, path.backend.service?.name, path.backend.service?.port?.number])
            .sort();
          const rendered = STREAM_ROUTES.map(({ route, service }) => [
            streamPathPattern(route, 'ingress-nginx'),
            service.name,
            service.port,
          ]).sort();
          expect(committed).toEqual(rendered);
        });

        it('streams unbuffered, waits an hour for a quiet stream, and is not cached', () => {
          expect(annotations()['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
          expect(Number(annotations()['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
          expect(Number(annotations()['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
          // The edge cache lives in a snippet of the Ingress `ticketing` only.
          expect(annotations()[CONFIGURATION_SNIPPET]).toBeUndefined();
          expect(JSON.stringify(annotations())).not.toMatch(/proxy_cache/);
          expect(streams().spec?.ingressClassName).toBe('nginx');
        });

        it('takes every stream path to its service, and nothing else', () => {
          expect(annotations()['nginx.ingress.kubernetes.io/use-regex']).toBe('true');
          expect((streams().spec?.rules ?? []).map((rule) => rule.host)).toEqual([siteHost(overlay)]);
          for (const [path, service] of STREAM_PATHS) {
            const taken = streamPaths().filter((candidate) => candidate.pattern.test(path));
            expect([path, taken.map((candidate) => [candidate.service, candidate.port])]).toEqual([
              path,
              [[service, serviceOf(service).port]],
            ]);
          }
          for (const path of NOT_STREAM_PATHS) {
            expect([path, streamPaths().filter((candidate) => candidate.pattern.test(path)).length]).toEqual([path, 0]);
          }
          for (const { path } of streamPaths()) {
            expect(path.pathType).toBe('ImplementationSpecific');
            const backend = path.backend.service;
            expect([path.path, followBackend(objects(), backend?.name ?? '', backend?.port?.number)]).toEqual([
              path.path,
              expect.any(Number),
            ]);
          }
        });

        it('comes before the prefixes it lies under (ingress-nginx tries the longest path first)', () => {
          const prefixes = (ingress().spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []);
          const shortestStream = Math.min(...streamPaths().map(({ path }) => path.path?.length ?? 0));
          for (const prefix of prefixes) expect(prefix.path!.length).toBeLessThan(shortestStream);
        });

        it('has the same TLS as the site', () => {
          expect(streams().spec?.tls).toEqual(ingress().spec?.tls);
        });
      });

      it(
        isProd(overlay) ? 'terminates TLS for the production host' : 'needs no certificate (ingress-nginx default)',
        () => {
          const tls = ingress().spec?.tls;
          if (isProd(overlay)) expect(tls).toEqual([{ hosts: [siteHost(overlay)], secretName: 'ticketing-tls' }]);
          else expect(tls).toBeUndefined();
        },
      );
    });
  } else {
    describe('the Gateway API routes (checked structurally: kubernetes-models has no Gateway API types)', () => {
      const routes = () => objectsOfKind<HttpRoute>(objects(), 'HTTPRoute');
      const gateways = () => objectsOfKind<Gateway>(objects(), 'Gateway');

      it('replace the Ingress', () => {
        expect(objectsOfKind(objects(), 'Ingress')).toEqual([]);
      });

      it('are gateway.networking.k8s.io/v1 objects attached to a Gateway of the render', () => {
        expect(gateways().map((gateway) => gateway.apiVersion)).toEqual(['gateway.networking.k8s.io/v1']);
        const gatewayNames = gateways().map((gateway) => gateway.metadata.name);
        expect(routes().map(describeObject).sort()).toEqual([
          'HTTPRoute/ticketing',
          'HTTPRoute/ticketing-internal-api',
          'HTTPRoute/ticketing-streams',
        ]);
        for (const route of routes()) {
          expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
          expect(route.spec.parentRefs?.length).toBeGreaterThan(0);
          for (const parent of route.spec.parentRefs ?? []) {
            expect(parent.kind ?? 'Gateway').toBe('Gateway');
            expect(parent.group ?? 'gateway.networking.k8s.io').toBe('gateway.networking.k8s.io');
            expect(parent.namespace ?? route.metadata.namespace).toBe(route.metadata.namespace);
            expect(gatewayNames).toContain(parent.name);
          }
        }
      });

      it('the Gateway has a class, an http listener and an https listener with a documented certificate', () => {
        const documented = documentedSecrets();
        const [gateway] = gateways();
        expect(gateway?.spec.gatewayClassName).toMatch(/^[a-z0-9.-]+$/);
        const listeners = gateway?.spec.listeners ?? [];
        expect(listeners.map((listener) => [listener.name, listener.protocol, listener.port])).toEqual([
          ['http', 'HTTP', 80],
          ['https', 'HTTPS', 443],
        ]);
        for (const ref of listeners.flatMap((listener) => listener.tls?.certificateRefs ?? [])) {
          expect(ref.kind ?? 'Secret').toBe('Secret');
          expect(documented.has(`${ref.name}/tls.crt`)).toBe(true);
        }
      });

      it('route every path of the local gateway on the site host, and the API on any host', () => {
        const table = (route: HttpRoute) =>
          (route.spec.rules ?? [])
            .flatMap((rule) =>
              (rule.matches ?? []).map((match) => [
                match.path?.value,
                match.path?.type,
                ...(rule.backendRefs ?? []).flatMap((ref) => [ref.name, ref.port]),
              ]),
            )
            .sort();
        const expected = (list: typeof ROUTES) =>
          list.map(({ prefix, service }) => [prefix, 'PathPrefix', service.name, service.port]).sort();
        const site = routes().find((route) => route.metadata.name === 'ticketing');
        const anyHost = routes().find((route) => route.metadata.name === 'ticketing-internal-api');
        expect(anyHost?.spec.hostnames).toBeUndefined();
        expect(site?.spec.hostnames).toEqual([siteHost(overlay)]);
        expect(table(site!)).toEqual(expected(ROUTES));
        expect(table(anyHost!)).toEqual(expected(API_ROUTES));
      });

      it('route the live updates on the site host by regular expression, with an hour before a stream is cut', () => {
        const streams = routes().find((route) => route.metadata.name === 'ticketing-streams')!;
        expect(streams.spec.hostnames).toEqual([siteHost(overlay)]);
        const rules = streams.spec.rules ?? [];
        for (const rule of rules) expect(durationSeconds(rule.timeouts?.request)).toBeGreaterThanOrEqual(3600);
        const matching = (path: string) =>
          rules.flatMap((rule) =>
            (rule.matches ?? [])
              .filter((match) => match.path?.type === 'RegularExpression' && new RegExp(match.path.value!).test(path))
              .map(() => (rule.backendRefs ?? []).map((ref) => [ref.name, ref.port])),
          );
        for (const [path, service] of STREAM_PATHS) {
          expect([path, matching(path)]).toEqual([path, [[[service, serviceOf(service).port]]]]);
        }
        for (const path of NOT_STREAM_PATHS) expect([path, matching(path)]).toEqual([path, []]);
      });

      it('the stream route has exactly the regular expressions the routing table renders, each to its service', () => {
        const streams = routes().find((route) => route.metadata.name === 'ticketing-streams')!;
        const committed = (streams.spec.rules ?? [])
          .flatMap((rule) =>
            (rule.matches ?? []).map((match) => [
              match.path?.type,
              match.path?.value,
              ...(rule.backendRefs ?? []).flatMap((ref) => [ref.name, ref.port]),
            ]),
          )
          .sort();
        const rendered = STREAM_ROUTES.map(({ route, service }) => [
          'RegularExpression',
          streamPathPattern(route, 'gateway-api'),
          service.name,
          service.port,
        ]).sort();
        expect(committed).toEqual(rendered);
      });

      it('every backendRef names an existing Service and a port that reaches the pod on its PORT', () => {
        for (const route of routes()) {
          for (const ref of (route.spec.rules ?? []).flatMap((rule) => rule.backendRefs ?? [])) {
            expect(ref.kind ?? 'Service').toBe('Service');
            expect(ref.group ?? '').toBe('');
            expect(typeof ref.port).toBe('number');
            expect([ref.name, followBackend(objects(), ref.name, ref.port)]).toEqual([ref.name, expect.any(Number)]);
          }
        }
      });

      it("the client's API_URL points at the Gateway's Service, not at ingress-nginx", () => {
        const config = objects().find(
          (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('client-config-'),
        ) as (K8sObject & { data: Record<string, string> }) | undefined;
        expect(config?.data.API_URL).toBe('http://ticketing-nginx.ticketing.svc.cluster.local');
      });
    });
  }

  it('exposes only /api/… paths of the services (their /metrics, /healthz and /readyz stay inside the cluster)', () => {
    const ingressPaths = objectsOfKind<IIngress>(objects(), 'Ingress').flatMap((ingress) =>
      (ingress.spec?.rules ?? []).flatMap((rule) =>
        (rule.http?.paths ?? []).map((path) => ({ path: path.path, backend: path.backend.service?.name })),
      ),
    );
    const routePaths = objectsOfKind<HttpRoute>(objects(), 'HTTPRoute').flatMap((route) =>
      (route.spec.rules ?? []).flatMap((rule) =>
        (rule.matches ?? []).flatMap((match) =>
          (rule.backendRefs ?? []).map((ref) => ({ path: match.path?.value, backend: ref.name })),
        ),
      ),
    );
    const exposed = [...ingressPaths, ...routePaths];
    expect(exposed.length).toBeGreaterThan(0);
    for (const { path, backend } of exposed) {
      // The web app serves `/` and the API reference (`/api/docs`); a service only its own /api/<name>, or a
      // path under it (the live streams' own routes with their long timeouts; a Gateway API regex starts with ^),
      // never a probe or /metrics.
      const allowed = backend === 'client' ? /^\/(api\/docs)?$/ : /^\^?\/api\/[a-z]+(\/|$)/;
      expect([backend, path]).toEqual([backend, expect.stringMatching(allowed)]);
      expect([backend, path]).not.toEqual([backend, expect.stringMatching(/metrics|healthz|readyz/)]);
    }
  });

  it('every Service selects exactly one workload, and every targetPort is a containerPort of it', () => {
    for (const service of objectsOfKind<ServiceObject>(objects(), 'Service')) {
      const selected = selectedWorkloads(objects(), service);
      expect([service.metadata.name, selected.length]).toEqual([service.metadata.name, 1]);
      const [container] = containersOf(selected[0]!);
      for (const port of service.spec?.ports ?? []) {
        expect([
          service.metadata.name,
          port.name,
          containerPortNumber(container!, port.targetPort ?? port.port),
        ]).toEqual([service.metadata.name, port.name, expect.any(Number)]);
      }
    }
  });
});

describe('the ingress-nginx controller settings the edge cache needs (ingress-nginx/)', () => {
  const objects = () => parseObjects(kustomize(path.join(K8S_DIR, 'ingress-nginx')), 'ingress-nginx');
  const config = () => {
    const [configMap, ...others] = objects();
    expect(others).toEqual([]);
    return configMap as K8sObject & IConfigMap;
  };

  it("is the controller's own ConfigMap, in its namespace, under its exact name, and valid", () => {
    expect([config().kind, config().metadata.name, config().metadata.namespace]).toEqual([
      'ConfigMap',
      'ingress-nginx-controller',
      'ingress-nginx',
    ]);
    expect(validateWithModels(objects())).toEqual([]);
    expect(findUnknownFields(objects())).toEqual([]);
  });

  it('allows the configuration-snippet annotation: snippets on (off since v1.9), risk level Critical (v1.12)', () => {
    expect(config().data?.['allow-snippet-annotations']).toBe('true');
    expect(config().data?.['annotations-risk-level']).toBe('Critical');
  });

  it('defines the cache zone and the bypass the Ingress names, and nothing the Ingress does not use', () => {
    const directives = directivesOf(config().data?.['http-snippet']).join('\n');
    expect(directives).toMatch(new RegExp(`^proxy_cache_path \\S+ .*keys_zone=${CACHE_ZONE}:\\d+m .*max_size=`, 'm'));
    expect(directives).toMatch(
      /^map \$http_cache_control \$ticketing_cache_bypass \{\n\s*default 0;\n\s*~\*no-cache 1;\n\}$/m,
    );
    const ingressSnippet = directivesOf(
      (findIngress('dev').metadata.annotations as Record<string, string>)[CONFIGURATION_SNIPPET],
    );
    expect(ingressSnippet).toContain(`proxy_cache ${CACHE_ZONE};`);
    expect(ingressSnippet).toContain(`proxy_cache_bypass ${CACHE_BYPASS};`);
  });
});

function findIngress(overlay: Overlay): K8sObject & IIngress {
  const ingress = objectsOfKind<IIngress>(render(overlay), 'Ingress').find((i) => i.metadata.name === 'ticketing');
  if (!ingress) throw new Error(`overlays/${overlay} renders no Ingress`);
  return ingress;
}

it('the local gateway still has the routes the edge mirrors', () => {
  expect(API_ROUTES.map((route) => route.prefix).sort()).toEqual([
    '/api/checkins',
    '/api/docs',
    '/api/orders',
    '/api/payments',
    '/api/tickets',
    '/api/users',
  ]);
  expect(ROUTES.find((route) => route.prefix === '/')?.service.name).toBe('client');
  // The API's reference (docs/openapi.yaml) is the web app's, by a rule of its own.
  expect(ROUTES.find((route) => route.prefix === '/api/docs')?.service.name).toBe('client');
});

it('every stream route of the API (docs/openapi.yaml) is declared in the routing table the edge is checked against', () => {
  const document = parse(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'openapi.yaml'), 'utf8')) as {
    paths: Record<string, unknown>;
  };
  const documented = Object.keys(document.paths)
    .filter((route) => /\/stream$/.test(route))
    .map((route) => route.replace(/\{[^}]+\}/g, ':id'));
  expect(STREAM_ROUTES.map(({ route }) => route).sort()).toEqual(documented.sort());
  // Each under its own service's prefix, which the gateway and the Ingress `ticketing` send to that service.
  for (const { route, service } of STREAM_ROUTES) {
    expect([route, service.routes.some((prefix) => route.startsWith(`${prefix}/`))]).toEqual([route, true]);
  }
});
