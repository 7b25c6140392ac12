/**
 * The edge's routing table, rendered from the service registry (services.ts): which path prefix goes to which
 * service, which paths are event streams, and which writes may be sent to a second replica. Every edge is
 * produced or checked from here: the Node gateway's routes (stack.ts), the local nginx's configuration
 * (nginx-config.ts), and the cluster's Ingress and Gateway API routes (infra/k8s/test/edge.test.ts compares the
 * committed manifests with what this module renders).
 */
import { SERVICES, type ServiceDefinition } from './services';

/** One prefix rule: a path that is `prefix` or lies below it goes to `service`. */
export interface EdgeRoute {
  readonly prefix: string;
  readonly service: ServiceDefinition;
}

/** One declared event stream, as a route template (`/api/tickets/:id/stream`), with its service. */
export interface StreamRoute {
  readonly route: string;
  readonly service: ServiceDefinition;
}

/** Every prefix rule of `services` (the site's: the API and `/` for the web app), longest prefix first. */
export function edgeRoutes(services: readonly ServiceDefinition[] = SERVICES): EdgeRoute[] {
  return services
    .flatMap((service) => service.routes.map((prefix) => ({ prefix, service })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The API's prefix rules: what the cluster routes on any host (the web app's server-side fetches). */
export function apiRoutes(services: readonly ServiceDefinition[] = SERVICES): EdgeRoute[] {
  return edgeRoutes(services).filter((route) => route.prefix !== '/');
}

/** Every stream route the services declare. */
export function streamRoutes(services: readonly ServiceDefinition[] = SERVICES): StreamRoute[] {
  return services.flatMap((service) => (service.streams ?? []).map((route) => ({ route, service })));
}

/**
 * Any event stream's path (server-sent events): an API path whose last segment is `stream`. The edges know a
 * stream by its path alone, never by `Accept` (curl asks with `*\/*`); the declared streams are all of this form.
 */
export const EVENT_STREAM_PATTERN = '^/api/(?:[^/]+/)+stream/?$';

/** How a stream route template is matched as a regular expression, by the flavour of the edge. */
export type StreamPatternFlavour =
  /** ingress-nginx with `use-regex`: matched case-insensitively, so a hex id is `[0-9a-f-]+`; no `^`. */
  | 'ingress-nginx'
  /** Gateway API `RegularExpression`: case-sensitive, anchored. */
  | 'gateway-api';

/** The regular expression an edge matches one declared stream route with (`:id` is a UUID). */
export function streamPathPattern(route: string, flavour: StreamPatternFlavour): string {
  const id = flavour === 'ingress-nginx' ? '[0-9a-f-]+' : '[0-9a-fA-F-]+';
  const body = `${route.replace(/:id\b/g, id)}/?$`;
  return flavour === 'gateway-api' ? `^${body}` : body;
}

/** A write marked idempotent (`POST /api/checkins`), split and compiled: `:id` stands for one segment. */
export interface IdempotentWrite {
  readonly method: string;
  /** The path as an anchored regular expression, with an optional trailing slash. */
  readonly pathPattern: string;
}

export function compileIdempotentWrite(template: string): IdempotentWrite {
  const [method = '', path = ''] = template.trim().split(/\s+/);
  const pattern = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { method: method.toUpperCase(), pathPattern: `^${pattern}/?$` };
}

/** The writes `services` mark idempotent, compiled. */
export function idempotentWrites(services: readonly ServiceDefinition[] = SERVICES): IdempotentWrite[] {
  return services.flatMap((service) => (service.idempotentWrites ?? []).map(compileIdempotentWrite));
}
