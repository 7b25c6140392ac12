import type Stripe from 'stripe';
import type { Executor } from '@ticketing/common';
import { setRefund } from '../db/charges';
import type { Charge } from '../db/schema';

/**
 * Refunds a completed charge in full and stores the refund's id (DESIGN.md rule 5).
 *
 * Called inside the transaction that decided the refund, while it holds the order's row lock: if Stripe
 * fails, that transaction rolls back and whatever decided it (an order.cancelled event, a webhook, a
 * payment) is retried. The idempotency key makes the retried call return the first refund instead of a
 * second one.
 */
export async function refundCharge(tx: Executor, stripe: Stripe, charge: Charge): Promise<Charge> {
  if (charge.stripeRefundId) return charge;
  if (!charge.stripeId) throw new Error(`charge ${charge.id} is completed without a PaymentIntent id`);
  const refund = await stripe.refunds.create(
    { payment_intent: charge.stripeId },
    { idempotencyKey: `refund-${charge.id}` },
  );
  return setRefund(tx, charge.id, refund.id);
}
