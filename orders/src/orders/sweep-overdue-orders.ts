import { runPeriodically, type Logger, type Outbox, type PeriodicTask } from '@ticketing/common';
import { listOrderIdsDueBefore } from '../db/orders';
import { cancelOrder } from './cancel-order';
import { UNPAID } from './order-transitions';

export interface SweepOptions {
  /** How long past its deadline an order is left to the expiration service's timer first. */
  graceSeconds: number;
  now?: Date;
  batchSize?: number;
}

/**
 * The backstop for lost expiration timers (DESIGN.md rule 7): cancels every unpaid order whose deadline
 * plus grace has passed, each through {@link cancelOrder} in a transaction of its own, so one failure
 * does not undo the others, and a sweep running at the same time on another replica (or an expiry
 * arriving meanwhile) cancels each order once. Resolves to how many orders this call cancelled.
 */
export async function sweepOverdueOrders(
  outbox: Outbox,
  { graceSeconds, now = new Date(), batchSize = 200 }: SweepOptions,
): Promise<number> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  let cancelled = 0;
  for (;;) {
    const ids = await listOrderIdsDueBefore(outbox.db, UNPAID, cutoff, batchSize);
    for (const id of ids) {
      if ((await cancelOrder(outbox, id)).result === 'cancelled') cancelled += 1;
    }
    // Every order of a full batch is no longer unpaid now, so the next read moves on; a short one was the last.
    if (ids.length < batchSize) return cancelled;
  }
}

export interface OrderSweepOptions {
  intervalSeconds: number;
  graceSeconds: number;
  logger: Logger;
}

/** Sweeps overdue unpaid orders every ORDER_SWEEP_INTERVAL_SECONDS (DESIGN.md rule 7). */
export function startOrderSweep(
  outbox: Outbox,
  { intervalSeconds, graceSeconds, logger }: OrderSweepOptions,
): PeriodicTask {
  return runPeriodically(
    'order sweep',
    intervalSeconds * 1000,
    async () => {
      const cancelled = await sweepOverdueOrders(outbox, { graceSeconds });
      // A cancelled order here is one whose expiration timer was lost or late: worth a line.
      if (cancelled > 0) logger.warn({ cancelled }, 'order sweep cancelled overdue orders');
    },
    logger,
  );
}
