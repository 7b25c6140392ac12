import type Stripe from 'stripe';
import { OrderStatus } from '@ticketing/common/events';
import { type Executor } from '@ticketing/common/database';
import { listCancelledOrdersWithUnrefundedCharges, lockUnrefundedCompletedCharges } from '../db/charges';
import { lockOrder } from '../db/orders';
import type { Charge } from '../db/schema';
import { isStripeUnreachable } from '../stripe-client';
import type { BackstopDependencies } from './dependencies';
import { refundCharge } from './refund-charge';

/**
 * The refund decision (docs/rules.md#rule-5), made in one place: a cancelled order keeps no money. When the
 * order's replica is cancelled, every completed charge of it without a refund is refunded; otherwise
 * nothing happens. Resolves to the charges refunded now.
 *
 * Everything that can leave a cancelled order with money runs this inside its own transaction, after its
 * change: the order.cancelled and order.restated listeners (the order became cancelled), completing a
 * charge (the money arrived after the cancellation), and the refund backstop (anything else). It takes
 * the order's row lock first, as every money decision does, so a payment of the same order waits.
 */
export async function refundCancelledOrder(tx: Executor, stripe: Stripe, orderId: string): Promise<Charge[]> {
  const order = await lockOrder(tx, orderId);
  if (order?.status !== OrderStatus.Cancelled) return [];
  return refundLockedCharges(tx, stripe, await lockUnrefundedCompletedCharges(tx, orderId));
}

/**
 * The refund of `charges`, completed charges without a refund of a cancelled order, read and locked under the
 * order's row lock by a caller that holds it (refundCancelledOrder, or the cancel that has just cancelled it).
 */
export async function refundLockedCharges(tx: Executor, stripe: Stripe, charges: readonly Charge[]): Promise<Charge[]> {
  const refunded: Charge[] = [];
  for (const charge of charges) refunded.push(await refundCharge(tx, stripe, charge));
  return refunded;
}

export interface RefundSummary {
  /** Charges refunded by this run. */
  refunded: number;
  /** True when Stripe did not answer: the run stopped there, the next one tries again. */
  stripeUnreachable: boolean;
}

/**
 * The backstop for money kept on a cancelled order (docs/rules.md rules 5 and 7). The listeners and the
 * payment path refund in the same transaction as the change that calls for it, so this finds something
 * only after a fault nothing else repaired. Each order whose replica is cancelled while it has a
 * completed charge without a refund goes through the same decision the listeners make
 * (refundCancelledOrder, above), under the order's row lock, with the refund key `refund-<charge id>`: a
 * refund Stripe already made is returned, never made twice. If Stripe does not answer, the run stops and
 * the next one tries again.
 */
export async function refundCancelledOrders(
  deps: BackstopDependencies,
  { batchSize = 100 }: { batchSize?: number } = {},
): Promise<RefundSummary> {
  let refunded = 0;
  let afterOrderId: string | undefined;
  for (;;) {
    const page = await listCancelledOrdersWithUnrefundedCharges(deps.unitOfWork.db, { afterOrderId, limit: batchSize });
    for (const orderId of page) {
      try {
        const charges = await deps.unitOfWork.transaction((tx) => refundCancelledOrder(tx, deps.stripe, orderId));
        for (const charge of charges) {
          deps.logger.warn(
            { orderId, chargeId: charge.id, stripeRefundId: charge.stripeRefundId },
            'refund backstop refunded a charge of a cancelled order',
          );
        }
        refunded += charges.length;
      } catch (error) {
        if (isStripeUnreachable(error)) {
          deps.logger.warn({ err: error, orderId }, 'Stripe unreachable while refunding; next run tries again');
          return { refunded, stripeUnreachable: true };
        }
        deps.logger.error({ err: error, orderId }, 'could not refund a charge of a cancelled order');
      }
    }
    if (page.length < batchSize) return { refunded, stripeUnreachable: false };
    afterOrderId = page.at(-1);
  }
}
