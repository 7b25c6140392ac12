import { runPeriodically, type Logger, type Outbox, type PeriodicTask } from '@ticketing/common';
import { sweepOverdueOrders } from './orders';

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
