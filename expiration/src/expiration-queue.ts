import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { currentTraceCarrier, inSpan, type EventBus, type Logger, type TraceCarrier } from '@ticketing/common';
import { DEFAULT_WORKER_CONCURRENCY } from './config';
import { orderExpiredEventId } from './event-ids';

/** The one kind of job on the queue: an order's timer. */
export const EXPIRE_ORDER = 'expire-order';

export interface ExpireOrderData {
  orderId: string;
  /** The trace the order was scheduled in (tracing on): its expiry, minutes later, continues it. */
  traceContext?: TraceCarrier;
}

export type ExpirationQueue = Queue<ExpireOrderData, void, typeof EXPIRE_ORDER>;
export type ExpirationJob = Job<ExpireOrderData, void, typeof EXPIRE_ORDER>;
export type ExpirationWorker = Worker<ExpireOrderData, void, typeof EXPIRE_ORDER>;

/** What the worker publishes through: the bus in production, a wrapper around it in tests. */
export interface EventPublisher {
  publish: EventBus['publish'];
}

/** How often a timer whose publish fails is retried, and how the waits grow: 1 s, 2 s, 4 s … (~8.5 min in all). */
const PUBLISH_ATTEMPTS = 10;
const FIRST_RETRY_DELAY_MS = 1_000;
/** Finished jobs are kept a while, so a late redelivery of order.created finds the id taken and adds nothing. */
const KEEP_COMPLETED_SECONDS = 24 * 3600;
/** Failed jobs (every attempt to publish failed) are kept a week, for an operator to look at and retry. */
const KEEP_FAILED_SECONDS = 7 * 24 * 3600;

/** The queue of timers, on a connection of the caller's (which closes it after `queue.close()`). */
export function createExpirationQueue(name: string, connection: Redis): ExpirationQueue {
  return new Queue<ExpireOrderData, void, typeof EXPIRE_ORDER>(name, { connection });
}

/**
 * Starts the order's timer: a delayed job that fires at `expiresAt` (at once if that has passed).
 * The job id is the order id, so scheduling the same order again (order.created redelivered, or
 * published twice) adds nothing, whatever state the first job is in.
 */
export async function scheduleExpiry(
  queue: ExpirationQueue,
  order: { orderId: string; expiresAt: string },
  now: number = Date.now(),
): Promise<ExpirationJob> {
  const delay = Math.max(0, Date.parse(order.expiresAt) - now);
  const traceContext = currentTraceCarrier();
  return queue.add(
    EXPIRE_ORDER,
    { orderId: order.orderId, ...(traceContext && { traceContext }) },
    {
      jobId: order.orderId,
      delay,
      attempts: PUBLISH_ATTEMPTS,
      backoff: { type: 'exponential', delay: FIRST_RETRY_DELAY_MS },
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
      removeOnFail: { age: KEEP_FAILED_SECONDS },
    },
  );
}

/** What cancelling found: the timer removed, none, one publishing right now, or one that already ran. */
export type CancelOutcome = 'removed' | 'absent' | 'running' | 'finished';

/**
 * Removes the order's timer if it has not fired yet. A timer that is running right now (BullMQ will not
 * remove a locked job) or already ran is left alone: orders ignores the expiry of an order that is no
 * longer waiting for payment. A finished job is kept on purpose: while it exists its id stays taken, so
 * a late redelivery of order.created schedules nothing, and a failed one stays for an operator to see.
 */
export async function cancelExpiry(queue: ExpirationQueue, orderId: string): Promise<CancelOutcome> {
  const job = await queue.getJob(orderId);
  if (!job) return 'absent';
  const state = await job.getState();
  if (state === 'unknown') return 'absent';
  if (state === 'completed' || state === 'failed') return 'finished';
  if (state === 'active') return 'running';
  // Still pending (or promoted in between, in which case the lock makes remove refuse).
  return (await queue.remove(orderId)) === 1 ? 'removed' : 'running';
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
 * Runs the timers as they fire: each publishes `order.expired` with an id derived from the order id,
 * and the job completes only once JetStream has acknowledged it. A failed publish throws, and BullMQ
 * retries the job with backoff; a re-run publishes the same event id, which JetStream drops.
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
    async (job) => {
      const { orderId, traceContext } = job.data;
      const published = await inSpan('expire order', { parent: traceContext ?? null }, () =>
        publisher.publish('order.expired', { orderId }, { id: orderExpiredEventId(orderId) }),
      );
      logger.info(
        { orderId, eventId: published.id, duplicate: published.duplicate, attempt: job.attemptsMade + 1 },
        published.duplicate ? 'order.expired already published' : 'order expired',
      );
    },
    { connection, concurrency },
  );
  worker.on('failed', (job, error) => {
    const context = { err: error, orderId: job?.data.orderId, attemptsMade: job?.attemptsMade };
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      // Kept as a failed job for a week; orders' sweep of overdue orders is the backstop (DESIGN.md rule 7).
      logger.error(context, 'publishing order.expired failed on every attempt: giving up');
    } else {
      logger.warn(context, 'publishing order.expired failed, retrying with backoff');
    }
  });
  // A worker emits 'error' for connection trouble; an EventEmitter with no listener would crash the process.
  worker.on('error', (error) => logger.error({ err: error }, 'expiration worker error'));
  return worker;
}
