import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { SERVICES } from '../../local/src/services';
import { isProd, OVERLAYS, usesGatewayApi, type Overlay } from './support/paths';
import { describeObject, objectsOfKind, render, type K8sObject } from './support/render';
import {
  containerPortNumber,
  containersOf,
  documentedSecrets,
  selectedWorkloads,
  type GatewayListener,
  type ServiceObject,
} from './support/workloads';

/** The local gateway's rules (infra/local/src/services.ts): the cluster edge must route the same way. */
const ROUTES = SERVICES.flatMap((service) => service.routes.map((prefix) => ({ prefix, service })));
const API_ROUTES = ROUTES.filter((route) => route.prefix !== '/');

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
        expect(ingresses.map(describeObject)).toEqual(['Ingress/ticketing']);
        return ingresses[0]!;
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
        expect(routes().length).toBe(2);
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
        const site = routes().find((route) => route.spec.hostnames !== undefined);
        const anyHost = routes().find((route) => route.spec.hostnames === undefined);
        expect(site?.spec.hostnames).toEqual([siteHost(overlay)]);
        expect(table(site!)).toEqual(expected(ROUTES));
        expect(table(anyHost!)).toEqual(expected(API_ROUTES));
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

it('the local gateway still has the routes the edge mirrors', () => {
  expect(API_ROUTES.map((route) => route.prefix).sort()).toEqual([
    '/api/orders',
    '/api/payments',
    '/api/tickets',
    '/api/users',
  ]);
  expect(ROUTES.find((route) => route.prefix === '/')?.service.name).toBe('client');
});
