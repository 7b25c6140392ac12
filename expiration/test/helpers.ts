import { randomBytes, randomUUID } from 'node:crypto';
import { startListeners, type EventBus, type HandlerContext, type RunningListeners } from '@ticketing/common/bus';
import { type EventData, type EventEnvelope, type Subject } from '@ticketing/common/events';
import { createTestLogger } from '@ticketing/common/testing';
import { expirationListeners } from '../src/events';
import { startExpirationWorker, type EventPublisher } from '../src/expiration/expire-order';
import { createExpirationQueue, type ExpirationQueue, type ExpirationWorker } from '../src/queue/expiration-queue';
import { closeRedis, connectRedis } from '../src/queue/redis';

/** The Redis the test global setup found or started. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A queue name of its own for one test file, so files and runs never share jobs. */
export function uniqueQueueName(): string {
  return `expiration-test-${randomBytes(5).toString('hex')}`;
}

export interface ExpirationInstance {
  queue: ExpirationQueue;
  worker: ExpirationWorker;
  listeners: RunningListeners;
  /** Shuts the instance down as service.ts does: listeners, worker (finishing its job), queue, Redis. */
  stop(): Promise<void>;
  /** Stops, after deleting every job of the queue from Redis. */
  destroy(): Promise<void>;
}

/** One running expiration service, wired as service.ts wires it (without HTTP), on a test bus and queue. */
export async function startExpirationInstance({
  bus,
  queueName,
  publisher = bus,
}: {
  bus: EventBus;
  queueName: string;
  publisher?: EventPublisher;
}): Promise<ExpirationInstance> {
  const logger = createTestLogger();
  const redis = await connectRedis({ url: redisUrl(), connectionName: 'expiration-test', logger, forWorker: false });
  const workerRedis = await connectRedis({
    url: redisUrl(),
    connectionName: 'expiration-test-worker',
    logger,
    forWorker: true,
  });
  const queue = createExpirationQueue(queueName, redis);
  const worker = startExpirationWorker({ queueName, connection: workerRedis, publisher, logger });
  const listeners = await startListeners(bus, expirationListeners(queue));

  const stopUntilQueue = async () => {
    await listeners.stop();
    await worker.close();
  };
  const closeConnections = async () => {
    await queue.close();
    await closeRedis(workerRedis);
    await closeRedis(redis);
  };
  return {
    queue,
    worker,
    listeners,
    async stop() {
      await stopUntilQueue();
      await closeConnections();
    },
    async destroy() {
      await stopUntilQueue();
      await queue.obliterate({ force: true });
      await closeConnections();
    },
  };
}

/** A valid order.created payload for a new order. */
export function buildOrderCreated(overrides: Partial<EventData<'order.created'>> = {}): EventData<'order.created'> {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    status: 'created',
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ticket: { id: randomUUID(), price: 2000 },
    version: 0,
    ...overrides,
  };
}

/** The order.cancelled the orders service publishes for an order. */
export function buildOrderCancelled(order: EventData<'order.created'>): EventData<'order.cancelled'> {
  return { id: order.id, ticket: { id: order.ticket.id }, version: order.version + 1 };
}

/** An envelope as a listener receives it, for calling a listener definition's `handle` directly. */
export function envelopeOf<S extends Subject>(subject: S, data: EventData<S>): EventEnvelope<S> {
  return { id: randomUUID(), subject, occurredAt: new Date().toISOString(), data };
}

/** The context the bus passes a handler on a first delivery. */
export function handlerContext(): HandlerContext {
  return { deliveryCount: 1, logger: createTestLogger() };
}

/** Milliseconds from now, as an ISO timestamp. */
export function inMs(milliseconds: number): string {
  return new Date(Date.now() + milliseconds).toISOString();
}
