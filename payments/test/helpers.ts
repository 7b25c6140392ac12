import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { and, eq } from 'drizzle-orm';
import request from 'supertest';
import type Stripe from 'stripe';
import { UnitOfWork, listRecordedEvents, processedEvents } from '@ticketing/common/outbox';
import { type ReplicaChanges } from '@ticketing/common/versions';
import { type EventData, type EventEnvelope, type Subject } from '@ticketing/common/events';
import { type RunningListeners, startListeners } from '@ticketing/common/bus';
import { probeReadiness } from '@ticketing/common/http';
import {
  TEST_JWT_KEY,
  createTestBus,
  createTestDatabase,
  createTestLogger,
  redisUrl,
  sessionCookieFor,
  useTestRateLimits,
  useTestSessionVersions,
  type TestBus,
  type TestDatabase,
} from '@ticketing/common/testing';
import { startStripeEmulator, type RunningStripeEmulator } from '@ticketing/stripe-emulator';
import type { PaymentsAppDependencies } from '../src/app';
import { loadPaymentsConfig, type PaymentsConfig } from '../src/config';
import { paymentsService } from '../src/service';
import { findCharge, listChargesOfOrder } from '../src/db/charges';
import { findCustomer } from '../src/db/customers';
import { findOrder } from '../src/db/orders';
import { migrationsFolder } from '../src/db/migrations-folder';
import * as schema from '../src/db/schema';
import { paymentsListeners } from '../src/events';
import { createStripeClient } from '../src/stripe-client';

export type PaymentsTestDatabase = TestDatabase<typeof schema>;

/** A migrated database of its own for one test file. */
export function createPaymentsTestDatabase(): Promise<PaymentsTestDatabase> {
  return createTestDatabase(migrationsFolder, schema);
}

/** The configuration of a payments service under test: the emulator at `stripeApiUrl`, no real Stripe. */
export function testConfig(database: PaymentsTestDatabase, stripeApiUrl: string, env: NodeJS.ProcessEnv = {}) {
  return loadPaymentsConfig({
    DATABASE_URL: database.url,
    NATS_URL: 'nats://unused-in-http-tests',
    REDIS_URL: redisUrl(),
    JWT_KEY: TEST_JWT_KEY,
    NODE_ENV: 'test',
    STRIPE_API_URL: stripeApiUrl,
    ...env,
  });
}

export interface PaymentsHarness {
  database: PaymentsTestDatabase;
  emulator: RunningStripeEmulator;
  config: PaymentsConfig;
  unitOfWork: UnitOfWork;
  /** The service's own Stripe client (tests may spy on it). */
  stripe: Stripe;
  app: Express;
  /** What `app` was built with: build another app on the same database, emulator and configuration. */
  appDependencies: PaymentsAppDependencies;
  /** The wake-ups the app and the listeners (with `bus: true`) share, as in one process. */
  orderReplicaChanges: ReplicaChanges;
  /** With `bus: true`: the test bus the service's listeners and outbox relay run on. */
  bus?: TestBus;
  /** With `listen: true`: where the app listens, for the emulator's webhook deliveries. */
  server?: Server;
}

export interface HarnessOptions {
  /** Start the listeners and the outbox relay on a test bus of their own. */
  bus?: boolean;
  /** Listen on a real port and have the emulator POST its webhook events to the app. */
  webhooks?: boolean;
  /** Variables over the test configuration. */
  env?: NodeJS.ProcessEnv;
}

/** Rate limits on the real Redis, counted apart for every app this file builds. */
const rateLimitsForNewApp = useTestRateLimits();
/** Session versions on the real Redis, apart for every app this file builds. */
const sessionVersionsForNewApp = useTestSessionVersions();

/**
 * For a test file: a database of its own, a Stripe emulator (in this process, on a free port), the
 * payments app on both, and optionally a test bus with the listeners and the relay running, and a real
 * port receiving the emulator's webhooks. Everything is torn down after the file.
 */
export function usePayments(options: HarnessOptions = {}): PaymentsHarness {
  const harness = {} as PaymentsHarness;
  let listeners: RunningListeners | undefined;
  beforeAll(async () => {
    harness.database = await createPaymentsTestDatabase();
    // The webhook endpoint must exist before the emulator (which needs its URL) and the app (which needs
    // the emulator's): listen first, attach the app once it is built.
    let webhookUrl: string | undefined;
    if (options.webhooks) {
      harness.server = createServer();
      await new Promise<void>((resolve) => harness.server?.listen(0, '127.0.0.1', resolve));
      const { port } = harness.server.address() as AddressInfo;
      webhookUrl = `http://127.0.0.1:${port}/api/payments/webhook`;
    }
    harness.emulator = await startStripeEmulator({ port: 0, webhookUrl });
    harness.config = testConfig(harness.database, harness.emulator.url, options.env);
    const logger = createTestLogger();
    harness.unitOfWork = new UnitOfWork(harness.database.db, { logger });
    harness.stripe = createStripeClient(harness.config);
    const connected = {
      stripe: harness.stripe,
      sessionVersions: sessionVersionsForNewApp(),
      rateLimits: rateLimitsForNewApp(),
    };
    // The process state as the service builds it.
    const base = {
      config: harness.config,
      logger,
      database: harness.database,
      unitOfWork: harness.unitOfWork,
      ...connected,
    };
    ({ orderReplicaChanges: harness.orderReplicaChanges } = paymentsService.processState!(base));
    harness.appDependencies = {
      ...base,
      readiness: probeReadiness({ database: harness.database }),
      orderReplicaChanges: harness.orderReplicaChanges,
    };
    harness.app = paymentsService.app({
      ...base,
      readiness: harness.appDependencies.readiness,
      orderReplicaChanges: harness.orderReplicaChanges,
    });
    harness.server?.on('request', harness.app);
    if (options.bus) {
      harness.bus = await createTestBus();
      listeners = await startListeners(
        harness.bus,
        paymentsListeners(harness.unitOfWork, harness.stripe, harness.orderReplicaChanges),
      );
      harness.unitOfWork.relay.start(harness.bus);
    }
  });
  afterAll(async () => {
    await listeners?.stop();
    await harness.unitOfWork?.relay.stop();
    await harness.bus?.destroy();
    await harness.emulator?.close();
    if (harness.server) {
      await new Promise<void>((resolve) => {
        harness.server?.close(() => resolve());
        harness.server?.closeAllConnections();
      });
    }
    await harness.database?.drop();
  });
  return harness;
}

/** An order as the replica holds it after order.created: unpaid, $20.50, placed by a new buyer. */
export async function givenOrder(
  database: PaymentsTestDatabase,
  overrides: Partial<schema.OrderReplica> = {},
): Promise<schema.OrderReplica & { cookie: string }> {
  const order: schema.OrderReplica = {
    id: randomUUID(),
    userId: randomUUID(),
    status: 'created',
    price: 2050,
    version: 0,
    startsAt: null,
    traceContext: null,
    ...overrides,
  };
  await database.db.insert(schema.orders).values(order);
  return { ...order, cookie: sessionCookieFor({ id: order.userId }).cookie };
}

export async function givenCustomer(database: PaymentsTestDatabase, customer: schema.Customer): Promise<void> {
  await database.db.insert(schema.customers).values(customer);
}

/** POST /api/payments as the signed-in `cookie` (none: signed out). */
export function pay(app: Express, cookie: string | undefined, body: object) {
  const call = request(app).post('/api/payments');
  return (cookie ? call.set('Cookie', cookie) : call).send(body);
}

/** GET /api/payments?orderId= as the signed-in `cookie`. */
export function listPayments(app: Express, cookie: string | undefined, orderId: string) {
  const call = request(app).get('/api/payments').query({ orderId });
  return cookie ? call.set('Cookie', cookie) : call;
}

export const findOrderRow = (database: PaymentsTestDatabase, id: string) => findOrder(database.db, id);
export const findCustomerRow = (database: PaymentsTestDatabase, id: string) => findCustomer(database.db, id);
export const findChargeRow = (database: PaymentsTestDatabase, id: string) => findCharge(database.db, id);
export const chargeRowsOf = (database: PaymentsTestDatabase, orderId: string) =>
  listChargesOfOrder(database.db, orderId);

/** The charge.created payloads this service recorded for one order, oldest first. */
export async function chargeEventsOf(database: PaymentsTestDatabase, orderId: string) {
  return (await listRecordedEvents(database.db, 'charge.created'))
    .map((row) => row.data as EventData<'charge.created'>)
    .filter((data) => data.orderId === orderId);
}

/** Whether the listener `durable` has committed its handling of event `eventId`. */
export async function wasProcessed(database: PaymentsTestDatabase, durable: string, eventId: string) {
  const rows = await database.db
    .select()
    .from(processedEvents)
    .where(and(eq(processedEvents.consumer, durable), eq(processedEvents.eventId, eventId)));
  return rows.length === 1;
}

export function envelope<S extends Subject>(subject: S, data: EventData<S>): EventEnvelope<S> {
  return { id: randomUUID(), subject, occurredAt: new Date().toISOString(), data };
}

interface EmulatedEvent {
  id: string;
  type: string;
  data: { object: { id: string; metadata?: Record<string, string>; payment_intent?: string } };
}

/** What the emulator has emitted (its record of everything Stripe "did"), newest first. */
export async function emulatorEvents(emulator: RunningStripeEmulator, type?: string): Promise<EmulatedEvent[]> {
  const url = new URL('/_emulator/events', emulator.url);
  if (type) url.searchParams.set('type', type);
  const response = await fetch(url);
  return ((await response.json()) as { data: EmulatedEvent[] }).data;
}

/** The PaymentIntents Stripe confirmed (successfully or not) for one of our orders. */
export async function paymentIntentIdsOf(emulator: RunningStripeEmulator, orderId: string): Promise<string[]> {
  const events = await emulatorEvents(emulator);
  const ids = events
    .filter((event) => event.type.startsWith('payment_intent.') && event.data.object.metadata?.orderId === orderId)
    .map((event) => event.data.object.id);
  return [...new Set(ids)];
}

/** The refunds Stripe made of one PaymentIntent (one charge.refunded event each). */
export async function refundCountOf(emulator: RunningStripeEmulator, paymentIntentId: string): Promise<number> {
  const events = await emulatorEvents(emulator, 'charge.refunded');
  return events.filter((event) => event.data.object.payment_intent === paymentIntentId).length;
}
