import type { ExpirationQueue } from '../queue/expiration-queue';

/** What cancelling found: the timer removed, none, one publishing right now, or one that already ran. */
export type CancelOutcome = 'removed' | 'absent' | 'running' | 'finished';

/**
 * Removes the order's timer if it has not fired yet. A timer that is running right now (BullMQ will not
 * remove a locked job) or already ran is left alone: orders ignores the expiry of an order that is no
 * longer waiting for payment. A finished job is kept on purpose: while it exists its id stays taken, so
 * a late redelivery of order.created schedules nothing, and a failed one stays for an operator to see.
 */
export async function cancelExpiry(queue: ExpirationQueue, orderId: string): Promise<CancelOutcome> {
  // The state alone, by the job's id: one round trip to Redis, and no job read and parsed just to ask it.
  const state = await queue.getJobState(orderId);
  if (state === 'unknown') return 'absent';
  if (state === 'completed' || state === 'failed') return 'finished';
  if (state === 'active') return 'running';
  // Still pending (or promoted in between, in which case the lock makes remove refuse).
  return (await queue.remove(orderId)) === 1 ? 'removed' : 'running';
}
