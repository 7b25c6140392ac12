import { currentTraceCarrier } from '@ticketing/common/observability';
import { EXPIRE_ORDER, type ExpirationJob, type ExpirationQueue } from '../queue/expiration-queue';

/** How often a timer whose publish fails is retried, and how the waits grow: 1 s, 2 s, 4 s … (~8.5 min in all). */
const PUBLISH_ATTEMPTS = 10;
const FIRST_RETRY_DELAY_MS = 1_000;
/** Finished jobs are kept a while, so a late redelivery of order.created finds the id taken and adds nothing. */
const KEEP_COMPLETED_SECONDS = 24 * 3600;
/** Failed jobs (every attempt to publish failed) are kept a week, for an operator to look at and retry. */
const KEEP_FAILED_SECONDS = 7 * 24 * 3600;

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
