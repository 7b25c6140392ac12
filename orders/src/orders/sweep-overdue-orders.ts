import { CancellationReason } from '@ticketing/common/events';
import { runPeriodically, type PeriodicTask } from '@ticketing/common/service';
import { type Logger } from '@ticketing/common/logging';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { listOrderIdsDueBefore } from '../db/orders';
import { cancelOrder } from './cancel-order';
import { UNPAID } from './order-transitions';
import type { ReservationMemory } from './reservation-memory';
import type { ReservationTerms } from './reservation-terms';

export interface SweepOptions {
  /** How long past its deadline an order is left to the expiration service's timer first. */
  graceSeconds: number;
  /** What the first eligible buyer in a released ticket's waiting list is handed it under. */
  terms: ReservationTerms;
  /** This process's reservation memory: a ticket the sweep releases is forgotten as held. */
  memory: ReservationMemory;
  now?: Date;
  batchSize?: number;
}

/**
 * The backstop for lost expiration timers (docs/rules.md#rule-7): cancels every unpaid order whose deadline
 * plus grace has passed, each through {@link cancelOrder} in a transaction of its own, so one failure
 * does not undo the others, and a sweep running at the same time on another replica (or an expiry
 * arriving meanwhile) cancels each order once. Resolves to how many orders this call cancelled.
 */
export async function sweepOverdueOrders(
  unitOfWork: UnitOfWork,
  { graceSeconds, terms, memory, now = new Date(), batchSize = 200 }: SweepOptions,
): Promise<number> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  let cancelled = 0;
  for (;;) {
    const ids = await listOrderIdsDueBefore(unitOfWork.db, UNPAID, cutoff, batchSize);
    for (const id of ids) {
      const outcome = await cancelOrder(unitOfWork, memory, id, terms, CancellationReason.Expired);
      if (outcome.result === 'cancelled') cancelled += 1;
    }
    // Every order of a full batch is no longer unpaid now, so the next read moves on; a short one was the
    // last. A reservation handed over meanwhile has a fresh deadline, beyond the cutoff.
    if (ids.length < batchSize) return cancelled;
  }
}

export interface OrderSweepOptions {
  intervalSeconds: number;
  graceSeconds: number;
  terms: ReservationTerms;
  memory: ReservationMemory;
  logger: Logger;
}

/** Sweeps overdue unpaid orders every ORDER_SWEEP_INTERVAL_SECONDS (docs/rules.md#rule-7). */
export function startOrderSweep(
  unitOfWork: UnitOfWork,
  { intervalSeconds, graceSeconds, terms, memory, logger }: OrderSweepOptions,
): PeriodicTask {
  return runPeriodically(
    'order sweep',
    intervalSeconds * 1000,
    async () => {
      const cancelled = await sweepOverdueOrders(unitOfWork, { graceSeconds, terms, memory });
      // A cancelled order here is one whose expiration timer was lost or late: worth a line.
      if (cancelled > 0) logger.warn({ cancelled }, 'order sweep cancelled overdue orders');
    },
    logger,
  );
}
