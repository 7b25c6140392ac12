/** The components the launcher knows, by name. */
export type ServiceName = 'auth' | 'tickets' | 'orders' | 'stripe-emulator' | 'payments' | 'expiration' | 'client';

/** One process the launcher runs behind the gateway. */
export interface ServiceDefinition {
  /** Short name: the log prefix, and the database `<namespace>_<name>` (`ticketing_auth`). */
  readonly name: ServiceName;
  /** Its workspace folder, relative to the repository root. */
  readonly dir: string;
  /** The port it listens on (on 127.0.0.1, behind the gateway). */
  readonly port: number;
  /** Path prefixes the gateway sends to it; the same rules as the Kubernetes ingress. */
  readonly routes: readonly string[];
  /**
   * Its event streams (server-sent events), as route templates (`:id` for a UUID): the gateway takes any
   * `/api/…/stream` path for a stream (gateway.ts), and the cluster's stream routes (infra/k8s) must cover these.
   */
  readonly streams?: readonly string[];
  /** Whether it owns a PostgreSQL database, `<namespace>_<name>`. */
  readonly database: boolean;
  /** The built entry point, relative to `dir`, run with `node` (the client's is its standalone server). */
  readonly entry: string;
  /**
   * Runs only while `STRIPE_SECRET_KEY` is unset: the Stripe-API emulator stands in for Stripe on a
   * laptop and in tests, never next to the real thing.
   */
  readonly onlyWithoutStripeKey?: boolean;
  /**
   * Writes that may be sent twice, as `METHOD /path` (`:id` for one segment): the gateway sends one to another
   * replica when the first may have received it and failed before answering (GET and HEAD always are).
   * Only what the service makes safe to repeat belongs here, each with the reason next to it.
   */
  readonly idempotentWrites?: readonly string[];
  /** Runs once whatever `STACK_REPLICAS` says (the Stripe emulator stands in for one outside service). */
  readonly single?: boolean;
}

/**
 * Every component of Ticketing, in start order (they start side by side; payments waits for the Stripe
 * emulator, which must answer before payments can charge). Ports match the Kubernetes manifests.
 */
export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'auth',
    dir: 'auth',
    port: 3001,
    routes: ['/api/users'],
    database: true,
    entry: 'dist/index.js',
  },
  {
    name: 'tickets',
    dir: 'tickets',
    port: 3002,
    // /api/checkins: the door (scans of pass codes, the key, the revocations), which tickets answers.
    routes: ['/api/tickets', '/api/checkins'],
    streams: ['/api/tickets/stream', '/api/tickets/:id/stream', '/api/tickets/owned/stream'],
    // A scan carries the door's nonce: the same nonce again gets the stored answer, never a second admission
    // (tickets/src/checkins/check-in.ts). Not POST /api/tickets (a second ticket), nor the transfer, the
    // resale or PUT (each one bumps the ticket's version and publishes again).
    idempotentWrites: ['POST /api/checkins'],
    database: true,
    entry: 'dist/index.js',
  },
  {
    name: 'orders',
    dir: 'orders',
    port: 3003,
    routes: ['/api/orders'],
    streams: ['/api/orders/:id/stream'],
    // None: a repeated POST /api/orders is a second reservation attempt (refused as the ticket's, or counted
    // against the buyer's cap), and a repeated cancel or waiting-list call answers differently the second time.
    database: true,
    entry: 'dist/index.js',
  },
  // The local stand-in for the Stripe API: no routes (only payments talks to it), no database.
  {
    name: 'stripe-emulator',
    dir: 'infra/stripe-emulator',
    port: 12111,
    routes: [],
    database: false,
    entry: 'dist/index.js',
    onlyWithoutStripeKey: true,
    single: true,
  },
  {
    name: 'payments',
    dir: 'payments',
    port: 3004,
    routes: ['/api/payments'],
    // A Stripe event is recorded by its id in the transaction of its effect, and its signature covers the exact
    // bytes sent again (handle-stripe-webhook.ts). Not POST /api/payments: the charge's Stripe idempotency
    // key means no double charge, but a repeat while the first attempt's lease runs answers 409 "already in
    // progress" for a payment that may well succeed: the buyer must see the first answer, or retry knowingly.
    idempotentWrites: ['POST /api/payments/webhook'],
    database: true,
    entry: 'dist/index.js',
  },
  // Expiration only schedules timers in Redis and publishes order.expired: no routes, no database.
  {
    name: 'expiration',
    dir: 'expiration',
    port: 3005,
    routes: [],
    database: false,
    entry: 'dist/index.js',
  },
  // The Next.js app: its standalone server (built by `npm run build -w client`) renders every page; its
  // server-side fetches go back through the gateway (API_URL), as in the cluster they go through the edge, but
  // those on the visitor's session (/api/users/...) straight to auth (AUTH_API_URL), as in the cluster too.
  // It also serves the API's reference, /api/docs (docs/openapi.yaml), named so that no /api rule can take it.
  {
    name: 'client',
    dir: 'client',
    port: 3100,
    routes: ['/', '/api/docs'],
    database: false,
    entry: '.next/standalone/client/server.js',
  },
];

/** The namespace of `npm start`: databases `ticketing_<service>`. */
export const DEFAULT_NAMESPACE = 'ticketing';

/** The database a service owns: `ticketing_auth`, or `<namespace>_auth` for a test run. */
export function databaseNameOf(service: ServiceDefinition, namespace: string = DEFAULT_NAMESPACE): string {
  return `${namespace}_${service.name}`;
}
