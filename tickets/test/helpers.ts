import { and, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { UnitOfWork, listRecordedEvents } from '@ticketing/common/outbox';
import { probeReadiness } from '@ticketing/common/http';
import { type EventData, type Subject } from '@ticketing/common/events';
import { startListeners, type RetryPolicy, type RunningListeners } from '@ticketing/common/bus';
import { type ReadinessProbe } from '@ticketing/common/http';
import {
  TEST_JWT_KEY,
  TEST_PASS_SIGNING_KEY,
  createTestBus,
  createTestDatabase,
  createTestLogger,
  redisUrl,
  sessionCookieFor,
  useTestSessionVersions,
  type TestBus,
  type TestDatabase,
  waitFor,
} from '@ticketing/common/testing';
import request from 'supertest';
import { ticketsListeners } from '../src/events';
import { loadTicketsConfig } from '../src/config';
import { migrationsFolder } from '../src/db/migrations-folder';
import * as schema from '../src/db/schema';
import { lockTicket } from '../src/tickets/lock-ticket';
import { markTicketSold } from '../src/tickets/mark-ticket-sold';
import type { TicketView } from '../src/tickets/ticket-view';
import { ticketsService } from '../src/service';
import { PassSigner } from '../src/passes/pass-signer';

export type TicketsTestDatabase = TestDatabase<typeof schema>;

/** A migrated database of its own for one test file. */
export function createTicketsTestDatabase(): Promise<TicketsTestDatabase> {
  return createTestDatabase(migrationsFolder, schema);
}

/** Session versions on the real Redis, apart for every app this file builds unless it names a prefix. */
const sessionVersionsForNewApp = useTestSessionVersions();

/**
 * The tickets app on a test database, configured as in production but for the given variables; its session
 * versions under `sessions.keyPrefix` when the test revokes sessions there.
 */
export function buildTestApp(
  database: TicketsTestDatabase,
  env: NodeJS.ProcessEnv = {},
  sessions: { keyPrefix?: string; pollMs?: number } = {},
) {
  const config = loadTicketsConfig({
    DATABASE_URL: database.url,
    NATS_URL: 'nats://unused-in-http-tests',
    REDIS_URL: redisUrl(),
    JWT_KEY: TEST_JWT_KEY,
    PASS_SIGNING_KEY: TEST_PASS_SIGNING_KEY,
    NODE_ENV: 'test',
    ...env,
  });
  const logger = createTestLogger();
  const unitOfWork = new UnitOfWork(database.db, { logger });
  const sessionVersions = sessionVersionsForNewApp(sessions);
  const passSigner = PassSigner.fromEnvironment(config.PASS_SIGNING_KEY);
  // The process state and the app as the service builds them.
  const base = { config, logger, database, unitOfWork, sessionVersions, passSigner };
  const { liveTickets, liveOwnedPasses } = ticketsService.processState!(base);
  const app = ticketsService.app({ ...base, liveTickets, liveOwnedPasses, readiness: probeReadiness({ database }) });
  return { app, unitOfWork, config, liveTickets, sessionVersions, passSigner, liveOwnedPasses };
}

/**
 * For a test file: a database of its own before all tests, the app on it, and the database dropped after.
 * Read the fields inside tests (they are set in beforeAll).
 */
export function useTicketsApp() {
  const context = {} as { database: TicketsTestDatabase } & ReturnType<typeof buildTestApp>;
  beforeAll(async () => {
    context.database = await createTicketsTestDatabase();
    Object.assign(context, buildTestApp(context.database));
  });
  afterAll(() => context.database.drop());
  return context;
}

/**
 * For a listener test file: a test bus of its own (with `retry` over the defaults) and every tickets
 * listener running on it against `outbox` (by default the app's), stopped and removed after the file. With
 * `readiness`, the listeners pause while a dependency is down and resume when it passes, as src/service.ts
 * wires them.
 */
export function useTicketListeners(
  context: { unitOfWork: UnitOfWork },
  options: {
    retry?: Partial<RetryPolicy>;
    unitOfWork?: () => UnitOfWork;
    readiness?: (bus: TestBus) => ReadinessProbe;
  } = {},
) {
  const running = {} as { bus: TestBus; listeners: RunningListeners };
  beforeAll(async () => {
    running.bus = await createTestBus({ retry: options.retry });
    running.listeners = await startListeners(
      running.bus,
      ticketsListeners(options.unitOfWork?.() ?? context.unitOfWork),
      {
        readiness: options.readiness?.(running.bus),
      },
    );
  });
  afterAll(async () => {
    await running.listeners.stop();
    await running.bus.destroy();
  });
  return running;
}

/** A ticket as GET /api/tickets/:id shows it. */
export async function showTicket(app: Express, id: string): Promise<TicketView> {
  return (await request(app).get(`/api/tickets/${id}`).expect(200)).body;
}

/**
 * A ticket as GET /api/tickets/:id shows it, with the order holding it read from its row: the API shows only a
 * status, and a listener test must tell which order holds the ticket.
 */
export async function showTicketWithHolder(
  app: Express,
  database: TicketsTestDatabase,
  id: string,
): Promise<TicketView & { orderId: string | null }> {
  const [row] = await database.db
    .select({ orderId: schema.tickets.orderId })
    .from(schema.tickets)
    .where(eq(schema.tickets.id, id));
  return { ...(await showTicket(app, id)), orderId: row?.orderId ?? null };
}

/** Resolves once the listener `durable` has committed event `eventId`, whatever its effect (nothing included). */
export function handledBy(database: TicketsTestDatabase, durable: string, eventId: string): Promise<void> {
  return waitFor(async () => {
    const rows = await database.db
      .select()
      .from(schema.processedEvents)
      .where(and(eq(schema.processedEvents.consumer, durable), eq(schema.processedEvents.eventId, eventId)));
    expect(rows).toHaveLength(1);
  });
}

let counter = 0;
/** A create or edit body as a client sends it; the venue and the start are optional. */
export interface TicketBody {
  title: unknown;
  price: unknown;
  venue?: unknown;
  startsAt?: unknown;
}

/** A valid create or edit body. */
export function buildTicket(overrides: Partial<TicketBody> = {}): TicketBody {
  counter += 1;
  return { title: `Concert #${counter}`, price: 20.5, ...overrides };
}

/** A signed-in seller: a cookie and the user it stands for. */
export const signIn = () => sessionCookieFor();

/** Lists a ticket through the API and returns it as the API answered. */
export async function createTicket(
  app: Express,
  cookie = signIn().cookie,
  body: TicketBody = buildTicket(),
): Promise<TicketView> {
  const response = await request(app).post('/api/tickets').set('Cookie', cookie).send(body).expect(201);
  return response.body as TicketView;
}

/** Locks a ticket for a (made-up) order, as the order.created listener would; resolves to the order id. */
export async function lockForOrder(unitOfWork: UnitOfWork, ticketId: string, orderId: string = randomUUID()) {
  const outcome = await unitOfWork.transaction((tx, events) => lockTicket(tx, events, { id: orderId, ticketId }));
  if (outcome !== 'locked') throw new Error(`expected the ticket to lock, got ${outcome}`);
  return orderId;
}

/**
 * Sells a ticket to `buyerId` at `pricePaid` cents, as the order.created and order.completed listeners would;
 * resolves to the order id.
 */
export async function sellTo(unitOfWork: UnitOfWork, ticketId: string, buyerId: string, pricePaid: number) {
  const orderId = await lockForOrder(unitOfWork, ticketId);
  const outcome = await unitOfWork.transaction((tx, events) =>
    markTicketSold(tx, events, { id: orderId, ticketId, buyer: { buyerId, pricePaid } }),
  );
  if (outcome !== 'sold') throw new Error(`expected the ticket to be sold, got ${outcome}`);
  return orderId;
}

/** The payloads recorded in the outbox for a subject, oldest first. */
export async function recordedPayloads<S extends Subject>(
  database: TicketsTestDatabase,
  subject: S,
): Promise<EventData<S>[]> {
  return (await listRecordedEvents(database.db, subject)).map((row) => row.data as EventData<S>);
}

/** The recorded payloads of one ticket. */
export async function recordedFor(
  database: TicketsTestDatabase,
  subject: 'ticket.created' | 'ticket.updated',
  id: string,
) {
  return (await recordedPayloads(database, subject)).filter((payload) => payload.id === id);
}

/** The URL of the `Link: <…>; rel="next"` header, or undefined on the last page. */
export function nextPageUrl(response: request.Response): string | undefined {
  const link = response.headers.link as string | undefined;
  if (link === undefined) return undefined;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  if (!match) throw new Error(`unexpected Link header: ${link}`);
  return match[1];
}
