import { Queue, type Job, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TraceCarrier } from '@ticketing/common/observability';

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

/** The queue of timers, on a connection of the caller's (which closes it after `queue.close()`). */
export function createExpirationQueue(name: string, connection: Redis): ExpirationQueue {
  return new Queue<ExpireOrderData, void, typeof EXPIRE_ORDER>(name, { connection });
}
