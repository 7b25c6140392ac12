import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { UnitOfWork, listRecordedEvents, processedEvents } from '@ticketing/common/outbox';
import { ReplicaChanges } from '@ticketing/common/versions';
import { type EventData, type Subject } from '@ticketing/common/events';
import { probeReadiness } from '@ticketing/common/http';
import {
  TEST_JWT_KEY,
  createTestDatabase,
  createTestLogger,
  redisUrl,
  sessionCookieFor,
  useTestRateLimits,
  useTestSessionVersions,
  type TestDatabase,
} from '@ticketing/common/testing';
import { ordersService } from '../src/service';
import { loadOrdersConfig } from '../src/config';
import { migrationsFolder } from '../src/db/migrations-folder';
import * as schema from '../src/db/schema';
import type { ReservationTerms } from '../src/orders/reservation-terms';
import { DEFAULT_HELD_TICKET_MEMORY_MS, HeldTickets } from '../src/orders/held-tickets';
import type { ReservationMemory } from '../src/orders/reservation-memory';
import { orders, tickets, type TicketReplica } from '../src/db/schema';

export type OrdersTestDatabase = TestDatabase<typeof schema>;

/** The lock window tests run with: short enough to tell from the 900 s default. */
export const TEST_EXPIRATION_SECONDS = 120;

/** The terms of reservations a release hands to a waiting list, in tests that call the use cases directly. */
export const TEST_TERMS: ReservationTerms = { expiresInSeconds: TEST_EXPIRATION_SECONDS, maxLiveOrders: 5 };

/** A process's reservation memory, empty, as service.ts builds it: for tests that call use cases without an app. */
export function newReservationMemory(): ReservationMemory {
  return {
    heldTickets: new HeldTickets(DEFAULT_HELD_TICKET_MEMORY_MS),
    attemptsUnderWay: new Map(),
    requestsUnderWay: new Map(),
    ticketReplicaChanges: new ReplicaChanges(),
  };
}

/** A migrated database of its own for one test file. */
export function createOrdersTestDatabase(): Promise<OrdersTestDatabase> {
  return createTestDatabase(migrationsFolder, schema);
}

/** The orders service's configuration for tests, as in production but for the given variables. */
export function testConfig(database: OrdersTestDatabase, env: NodeJS.ProcessEnv = {}) {
  return loadOrdersConfig({
    DATABASE_URL: database.url,
    NATS_URL: 'nats://unused-in-http-tests',
    REDIS_URL: redisUrl(),
    JWT_KEY: TEST_JWT_KEY,
    NODE_ENV: 'test',
    ORDER_EXPIRATION_SECONDS: String(TEST_EXPIRATION_SECONDS),
    ...env,
  });
}

/** Rate limits on the real Redis, counted apart for every app this file builds. */
const rateLimitsForNewApp = useTestRateLimits();
/** Session versions on the real Redis, apart for every app this file builds. */
const sessionVersionsForNewApp = useTestSessionVersions();

/** The orders app on a test database. */
export function buildTestApp(database: OrdersTestDatabase, env: NodeJS.ProcessEnv = {}) {
  const config = testConfig(database, env);
  const logger = createTestLogger();
  const unitOfWork = new UnitOfWork(database.db, { logger });
  const connected = { sessionVersions: sessionVersionsForNewApp(), rateLimits: rateLimitsForNewApp() };
  // The process state as the service builds it.
  // The process state and the app as the service builds them.
  const base = { config, logger, database, unitOfWork, ...connected };
  const state = ordersService.processState!(base);
  const app = ordersService.app({ ...base, ...state, readiness: probeReadiness({ database }) });
  const { liveOrders, heldTickets, attemptsUnderWay, requestsUnderWay, ticketReplicaChanges } = state;
  const memory: ReservationMemory = { heldTickets, attemptsUnderWay, requestsUnderWay, ticketReplicaChanges };
  return { app, unitOfWork, config, liveOrders, memory };
}

/** A signed-in caller: the `Cookie` header value and who it is. */
export function signIn() {
  return sessionCookieFor();
}

/** A ticket in the replica, as ticket.created would have left it (version 0 unless said otherwise). */
export async function seedTicket(
  database: OrdersTestDatabase,
  overrides: Partial<TicketReplica> = {},
): Promise<TicketReplica> {
  const [ticket] = await database.db
    .insert(tickets)
    .values({ id: randomUUID(), title: 'Concert', price: 2000, userId: randomUUID(), version: 0, ...overrides })
    .returning();
  if (!ticket) throw new Error('no ticket inserted');
  return ticket;
}

export async function findOrderRow(database: OrdersTestDatabase, id: string) {
  const [order] = await database.db.select().from(orders).where(eq(orders.id, id));
  return order;
}

export async function findTicketRow(database: OrdersTestDatabase, id: string) {
  const [ticket] = await database.db.select().from(tickets).where(eq(tickets.id, id));
  return ticket;
}

/** The payloads recorded in the outbox for a subject, oldest first. */
export async function recordedPayloads<S extends Subject>(database: OrdersTestDatabase, subject: S) {
  return (await listRecordedEvents(database.db, subject)).map((row) => row.data as EventData<S>);
}

/** The `order.cancelled` payloads recorded for one order. */
export async function cancellationsOf(database: OrdersTestDatabase, orderId: string) {
  return (await recordedPayloads(database, 'order.cancelled')).filter((payload) => payload.id === orderId);
}

/** True once the listener with `durable` has committed its handling of event `eventId`. */
export async function wasProcessed(database: OrdersTestDatabase, durable: string, eventId: string) {
  const rows = await database.db
    .select()
    .from(processedEvents)
    .where(and(eq(processedEvents.consumer, durable), eq(processedEvents.eventId, eventId)));
  return rows.length === 1;
}

/**
 * For a test file: a database of its own before all tests, the app on it, and the database dropped after.
 * Read `context.*` inside tests (they are set in beforeAll).
 */
export function useOrdersApp(env: NodeJS.ProcessEnv = {}) {
  const context = {} as { database: OrdersTestDatabase } & ReturnType<typeof buildTestApp>;
  beforeAll(async () => {
    context.database = await createOrdersTestDatabase();
    Object.assign(context, buildTestApp(context.database, env));
  });
  afterAll(() => context.database.drop());
  return context;
}
