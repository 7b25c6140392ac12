import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Charge, Order, Ticket } from '@ticketing/common/api';
import { createTestBus, waitFor } from '@ticketing/common/testing';
import {
  dropDatabase,
  startStack,
  type RunningInfrastructure,
  type RunningStack,
  type ServiceName,
} from '@ticketing/local-stack';

/** What one HTTP exchange came to, kept whole so that a failed expectation can show it. */
export interface Reply<Body = unknown> {
  method: string;
  path: string;
  requestBody: unknown;
  status: number;
  headers: Headers;
  /** The parsed JSON body (undefined when empty or not JSON). */
  body: Body;
  text: string;
}

/**
 * A browser-like caller of the gateway: keeps the cookies it is given (the session) and sends them back,
 * speaking JSON. One per user.
 */
export class ApiClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly baseUrl: string,
    readonly email?: string,
  ) {}

  async request<Body = unknown>(
    method: string,
    path: string,
    requestBody?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Reply<Body>> {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (requestBody !== undefined) headers['content-type'] = 'application/json';
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: requestBody === undefined ? undefined : JSON.stringify(requestBody),
      redirect: 'manual',
    });
    for (const setCookie of response.headers.getSetCookie()) this.keepCookie(setCookie);
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { method, path, requestBody, status: response.status, headers: response.headers, body: body as Body, text };
  }

  /** The `Cookie` header this client sends (its session), or undefined before any cookie was set. */
  cookieHeader(): string | undefined {
    return this.cookies.size === 0
      ? undefined
      : [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get<Body = unknown>(path: string): Promise<Reply<Body>> {
    return this.request<Body>('GET', path);
  }

  /** `headers` are sent besides the usual ones (a `traceparent`, say). */
  post<Body = unknown>(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply<Body>> {
    return this.request<Body>('POST', path, body, headers);
  }

  delete<Body = unknown>(path: string): Promise<Reply<Body>> {
    return this.request<Body>('DELETE', path);
  }

  private keepCookie(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const separator = pair.indexOf('=');
    if (separator <= 0) return;
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expires = attributes.map((attribute) => attribute.trim()).find((attribute) => /^expires=/i.test(attribute));
    const expired = expires !== undefined && Date.parse(expires.slice('expires='.length)) <= Date.now();
    if (value === '' || expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/**
 * Asserts the status of an exchange, and when it is wrong, fails with the whole exchange (method, path,
 * request body, status, response body): that is what tells a service bug from a test bug.
 */
export function expectStatus<Body>(reply: Reply<Body>, status: number): Reply<Body> {
  if (reply.status !== status) {
    throw new Error(
      `expected ${status} from ${reply.method} ${reply.path}` +
        `${reply.requestBody === undefined ? '' : ` ${JSON.stringify(reply.requestBody)}`}, ` +
        `got ${reply.status} ${reply.text}`,
    );
  }
  return reply;
}

// The API's bodies, as docs/openapi.yaml documents them; the tests of this folder import them from here.
export type { Charge, ErrorEnvelope, Order, Ticket } from '@ticketing/common/api';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const LOG_DIR = path.resolve(__dirname, '..', '.logs');

/** A stack of the real services for one test file, in a namespace of its own. */
export interface TestStack extends RunningStack {
  /** A new user, signed up through POST /api/users/signup, holding their session cookie. */
  signUp(role?: string): Promise<ApiClient>;
  /** What the stack and its services printed (services at TEST_LOG_LEVEL, warn by default). */
  readonly serviceLines: string[];
  /** Where {@link TestStack.destroy} leaves those lines: `e2e/.logs/<test file>.log`, e.g. `flows.log`. */
  readonly logFile: string;
  /** The database of one of its services, `<namespace>_<service>` (e.g. for `refuseConnections`). */
  databaseName(service: 'auth' | 'tickets' | 'orders' | 'payments'): string;
  /** Stops everything, writes the log file, and removes the namespace's databases, queue and stream. */
  destroy(): Promise<void>;
}

/**
 * Starts auth, tickets, orders, payments (with the Stripe emulator) and expiration from their built
 * `dist/`, on free ports, in namespace `e2e_<random>`: own databases, own stream and subject prefix, own
 * expiration queue, so files and runs never see each other's rows or events.
 */
export async function startTestStack(
  options: {
    env?: Record<string, string | undefined>;
    services?: ServiceName[];
    replicas?: number;
    /** Another NATS than the global setup's (a cluster's URLs, comma-separated). */
    natsUrl?: string;
  } = {},
): Promise<TestStack> {
  const namespace = `e2e_${randomBytes(5).toString('hex')}`;
  const serviceLines: string[] = [];
  const log = (line: string): void => {
    serviceLines.push(line);
  };
  // One file per test file, overwritten by the next run, so logs do not pile up.
  const testPath = expect.getState().testPath;
  const logFile = path.join(LOG_DIR, `${testPath ? path.basename(testPath, '.test.ts') : namespace}.log`);
  const writeLog = (): void => {
    fs.mkdirSync(LOG_DIR, { recursive: true });
    fs.writeFileSync(logFile, `${serviceLines.join('\n')}\n`);
  };
  const removeNamespace = async (): Promise<void> => {
    // The stream (and its durable consumers) of this namespace; createTestBus names it the same way.
    const bus = await createTestBus({ prefix: namespace });
    await bus.destroy();
  };
  const stack = await startStack({
    repoRoot: REPO_ROOT,
    dataDir: path.join(REPO_ROOT, '.data'),
    log,
    infrastructure: { ...infrastructureFromEnvironment(), ...(options.natsUrl ? { natsUrl: options.natsUrl } : {}) },
    ports: 'ephemeral',
    namespace,
    services: options.services ?? ['auth', 'tickets', 'orders', 'payments', 'expiration'],
    // Processes per service: the option, else STACK_REPLICAS (to run any file against two of everything).
    replicas: options.replicas ?? Number(process.env.STACK_REPLICAS || 1),
    env: {
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      NODE_ENV: 'test',
      // Every user of a file signs up from 127.0.0.1; the per-client limit is auth's own test's business.
      AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      // The emulator, never a real Stripe account, whatever the developer's shell holds.
      STRIPE_SECRET_KEY: undefined,
      STRIPE_WEBHOOK_SECRET: undefined,
      ...options.env,
    },
    onServiceOutput: (_service, line, _stream, instance) => {
      serviceLines.push(`${instance} | ${line}`);
      if (serviceLines.length > 2_000) serviceLines.shift();
    },
  }).catch(async (error: unknown) => {
    // startStack stopped what it started; what the services printed is the explanation of why.
    writeLog();
    for (const service of ['auth', 'tickets', 'orders', 'payments']) {
      await dropDatabase(infrastructureFromEnvironment().databaseUrl, `${namespace}_${service}`);
    }
    await removeNamespace();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`the stack did not start: ${message}\n${serviceLines.slice(-40).join('\n')}`);
  });
  let users = 0;
  return {
    ...stack,
    serviceLines,
    logFile,
    databaseName: (service) => `${namespace}_${service}`,
    async signUp(role = 'user') {
      users += 1;
      const email = `${role}-${users}-${randomBytes(4).toString('hex')}@example.com`;
      const client = new ApiClient(stack.url, email);
      expectStatus(await client.post('/api/users/signup', { email, password: 'correct horse battery' }), 201);
      return client;
    },
    async destroy() {
      await stack.stop();
      // When a flow fails, the services' warnings and errors are what explains it.
      writeLog();
      await stack.dropDatabases();
      await stack.dropExpirationQueue();
      await removeNamespace();
    },
  };
}

/** The servers the global setup made available (it exports their URLs to every worker). */
function infrastructureFromEnvironment(): RunningInfrastructure {
  return {
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    started: [],
    // The global teardown stops what the global setup started; a test file never does.
    stop: async () => undefined,
  };
}

/** Lists a new ticket as `seller` and returns it. */
export async function sellTicket(seller: ApiClient, price = 20, title = 'Concert'): Promise<Ticket> {
  return expectStatus(await seller.post<Ticket>('/api/tickets', { title, price }), 201).body;
}

/**
 * Buys `ticket` as `buyer`. Orders learns of a new ticket from ticket.created, so right after listing
 * there is a moment when orders does not know it yet (404): retry through that moment only.
 */
export async function buyTicket(buyer: ApiClient, ticket: Ticket): Promise<Order> {
  const reply = await waitForReply(() => buyer.post<Order>('/api/orders', { ticketId: ticket.id }), [404]);
  return expectStatus(reply, 201).body;
}

/** Repeats a request while it answers one of `transient` statuses, and returns the first other reply. */
export async function waitForReply<Body>(
  send: () => Promise<Reply<Body>>,
  transient: number[],
  timeoutMs = 15_000,
): Promise<Reply<Body>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await send();
    if (!transient.includes(reply.status) || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until payments has the order in its replica (GET /api/payments?orderId= stops answering 404). */
export async function waitUntilPaymentsKnows(buyer: ApiClient, order: Order): Promise<void> {
  const reply = await waitForReply(() => buyer.get<Charge[]>(`/api/payments?orderId=${order.id}`), [404]);
  expectStatus(reply, 200);
}

/** Pays `order` as `buyer` once payments knows it, and returns the reply, whatever its status. */
export async function pay(buyer: ApiClient, order: Order, paymentMethodId = 'pm_card_visa'): Promise<Reply<Charge>> {
  await waitUntilPaymentsKnows(buyer, order);
  return buyer.post<Charge>('/api/payments', { orderId: order.id, paymentMethodId });
}

/**
 * The ticket as anyone sees it. The public reads (this one and {@link ticketIdsForSale}) may come from the
 * gateway's micro-cache, up to a second old: assert a change in them with `waitFor`.
 */
export async function showTicket(client: ApiClient, ticketId: string): Promise<Ticket> {
  return expectStatus(await client.get<Ticket>(`/api/tickets/${ticketId}`), 200).body;
}

/** The order as its buyer sees it. */
export async function showOrder(buyer: ApiClient, orderId: string): Promise<Order> {
  return expectStatus(await buyer.get<Order>(`/api/orders/${orderId}`), 200).body;
}

/** The ids of the tickets for sale (GET /api/tickets, first page of 100). */
export async function ticketIdsForSale(client: ApiClient): Promise<string[]> {
  return expectStatus(await client.get<Ticket[]>('/api/tickets?limit=100'), 200).body.map((ticket) => ticket.id);
}

/** The charges of an order, as its buyer sees them. */
export async function listCharges(buyer: ApiClient, orderId: string): Promise<Charge[]> {
  return expectStatus(await buyer.get<Charge[]>(`/api/payments?orderId=${orderId}`), 200).body;
}

/**
 * docs/rules.md#rule-5, as the buyer sees it: an order ends complete with exactly one completed, unrefunded
 * charge, or cancelled with every completed charge refunded. Waits for the order to settle.
 */
export async function expectSettledConsistently(buyer: ApiClient, order: Order): Promise<'complete' | 'cancelled'> {
  return waitFor(async () => {
    const { status } = await showOrder(buyer, order.id);
    expect(['complete', 'cancelled']).toContain(status);
    const completed = (await listCharges(buyer, order.id)).filter((charge) => charge.status === 'completed');
    if (status === 'complete') {
      expect(completed).toHaveLength(1);
      expect(completed[0]?.stripeRefundId).toBeNull();
    } else {
      for (const charge of completed) expect(charge.stripeRefundId).toMatch(/^re_/);
    }
    return status as 'complete' | 'cancelled';
  });
}

/**
 * For a test file: a whole stack started before its tests and destroyed after them (stopped, its
 * databases, queue and stream removed). Read `context.stack` inside tests; it is set in beforeAll.
 */
export function useTestStack(options: Parameters<typeof startTestStack>[0] = {}): { stack: TestStack } {
  const context = {} as { stack: TestStack };
  beforeAll(async () => {
    context.stack = await startTestStack(options);
  });
  afterAll(async () => {
    await context.stack?.destroy();
  });
  return context;
}
