import { runPeriodically, type PeriodicTask } from '@ticketing/common/service';
import { refundCancelledOrders } from './refund-cancelled-orders';
import type { BackstopDependencies } from './dependencies';
import { settleUnknownCharges } from './settle-unknown-charges';

export interface ChargeReconciliationOptions {
  /** How often each backstop runs (CHARGE_RECONCILE_INTERVAL_SECONDS). */
  intervalMs: number;
  /** How old a charge of unknown outcome must be before it is settled (CHARGE_SETTLE_AFTER_SECONDS). */
  settleAfterMs: number;
}

/**
 * Starts payments' two backstops (docs/rules.md#rule-7), each on its own schedule: settling charges whose
 * outcome is unknown, and refunding completed charges of cancelled orders. Either one finding work means
 * the normal path missed something, so what they do is logged as a warning. Stopping waits for a run in
 * progress.
 */
export function startChargeReconciliation(
  deps: BackstopDependencies,
  { intervalMs, settleAfterMs }: ChargeReconciliationOptions,
): PeriodicTask {
  const settlement = runPeriodically(
    'charge settlement',
    intervalMs,
    async () => {
      const summary = await settleUnknownCharges(deps, { settleAfterMs });
      const { completed, declined, never_sent: neverSent, processing } = summary;
      if (completed + declined + neverSent > 0) {
        deps.logger.warn(
          { completed, declined, neverSent, processing },
          'charge settlement settled charges whose outcome was unknown',
        );
      }
    },
    deps.logger,
  );
  const refunds = runPeriodically('refund backstop', intervalMs, () => refundCancelledOrders(deps), deps.logger);
  return {
    async stop() {
      await Promise.all([settlement.stop(), refunds.stop()]);
    },
  };
}
