import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { inSpan } from '@ticketing/common/observability';
import { type EventBus } from '@ticketing/common/bus';
import { type Logger } from '@ticketing/common/logging';
import { DEFAULT_WORKER_CONCURRENCY } from '../config';
import {
  EXPIRE_ORDER,
  type ExpirationJob,
  type ExpirationWorker,
  type ExpireOrderData,
} from '../queue/expiration-queue';
import { orderExpiredEventId } from './event-ids';

/** What the worker publishes through: the bus in production, a wrapper around it in tests. */
export interface EventPublisher {
  publish: EventBus['publish'];
}

/**
 * An order's timer fired: publishes `order.expired` with an id derived from the order id, and resolves
 * only once JetStream has acknowledged it. A failed publish throws, and BullMQ retries the job with
 * backoff; a re-run publishes the same event id, which JetStream drops.
 */
export async function expireOrder(
  job: ExpirationJob,
  { publisher, logger }: { publisher: EventPublisher; logger: Logger },
): Promise<void> {
  const { orderId } = job.data;
  const published = await inSpan('expire order', { parent: job.data.traceContext ?? null }, () =>
    publisher.publish('order.expired', { orderId }, { id: orderExpiredEventId(orderId) }),
  );
  logger.info(
    { orderId, eventId: published.id, duplicate: published.duplicate, attempt: job.attemptsMade + 1 },
    published.duplicate ? 'order.expired already published' : 'order expired',
  );
}

export interface ExpirationWorkerOptions {
  queueName: string;
  /** A connection with `maxRetriesPerRequest: null`; the worker duplicates it for its blocking reads. */
  connection: Redis;
  publisher: EventPublisher;
  logger: Logger;
  /** Timers handled at once; each is one publish. */
  concurrency?: number;
}

/**
 * Runs the timers as they fire, up to `concurrency` at once, each through expireOrder: a job completes
 * only once its `order.expired` is acknowledged, and one whose publish failed is retried by BullMQ.
 */
export function startExpirationWorker({
  queueName,
  connection,
  publisher,
  logger,
  concurrency = DEFAULT_WORKER_CONCURRENCY,
}: ExpirationWorkerOptions): ExpirationWorker {
  const worker = new Worker<ExpireOrderData, void, typeof EXPIRE_ORDER>(
    queueName,
    (job) => expireOrder(job, { publisher, logger }),
    { connection, concurrency },
  );
  worker.on('failed', (job, error) => {
    const context = { err: error, orderId: job?.data.orderId, attemptsMade: job?.attemptsMade };
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      // Kept as a failed job for a week; orders' sweep of overdue orders is the backstop (docs/rules.md#rule-7).
      logger.error(context, 'publishing order.expired failed on every attempt: giving up');
    } else {
      logger.warn(context, 'publishing order.expired failed, retrying with backoff');
    }
  });
  // A worker emits 'error' for connection trouble; an EventEmitter with no listener would crash the process.
  worker.on('error', (error) => logger.error({ err: error }, 'expiration worker error'));
  return worker;
}
