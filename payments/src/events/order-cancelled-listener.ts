import type Stripe from 'stripe';
import {
  OrderStatus,
  RetryLaterError,
  decideVersion,
  inboxListener,
  type ListenerDefinition,
  type Outbox,
} from '@ticketing/common';
import { lockUnrefundedCompletedCharges } from '../db/charges';
import { lockOrder, updateOrder } from '../db/orders';
import { refundCharge } from '../payments/refund-charge';

/**
 * order.cancelled → the replica is cancelled, and a completed charge of the order is refunded in the same
 * transaction (DESIGN.md rule 5: a payment that raced the expiry, or a cancel that crossed it). If Stripe
 * fails, nothing is kept and the event is retried; the refund's idempotency key makes that safe.
 */
export function orderCancelledListener(outbox: Outbox, stripe: Stripe): ListenerDefinition<'order.cancelled'> {
  return inboxListener(outbox, {
    subject: 'order.cancelled',
    durable: 'payments-order-cancelled',
    async apply(data, { tx, logger }) {
      // The row lock orders us with a payment of the same order: it either committed its charge before
      // (and we refund it) or sees the order cancelled after (and charges nothing, or refunds at once).
      const current = await lockOrder(tx, data.id);
      const decision = current ? decideVersion(current.version, data.version) : 'early';
      // A cancellation before its order.created (a replica that does not exist yet) is early too.
      if (decision === 'early' || !current) {
        throw new RetryLaterError(`order ${data.id} version ${data.version} is early`);
      }
      if (decision === 'duplicate') return;
      await updateOrder(tx, data.id, current.version, { status: OrderStatus.Cancelled, version: data.version });

      for (const charge of await lockUnrefundedCompletedCharges(tx, data.id)) {
        const refunded = await refundCharge(tx, stripe, charge);
        logger.info(
          { chargeId: charge.id, stripeRefundId: refunded.stripeRefundId },
          'charge of a cancelled order refunded',
        );
      }
    },
  });
}
