import type Stripe from 'stripe';
import type { Executor } from '@ticketing/common/database';
import { setRefund } from '../db/charges';
import type { Charge } from '../db/schema';

/**
 * Refunds a charge's payment in full and stores the refund's id (docs/rules.md#rule-5).
 *
 * Called inside the transaction that decided the refund, while it holds the order's row lock: if Stripe
 * fails, that transaction rolls back and whatever decided it (an event, a webhook, a payment, a backstop
 * run) is retried. The idempotency key makes the retried call return the first refund instead of a
 * second one.
 *
 * `paymentIntentId` defaults to the charge's own; it is given only for a payment Stripe took for a charge
 * that had given up on it (see completeCharge), whose id the charge never stored.
 */
export async function refundCharge(
  tx: Executor,
  stripe: Stripe,
  charge: Charge,
  paymentIntentId: string | null = charge.stripeId,
): Promise<Charge> {
  if (charge.stripeRefundId) return charge;
  if (!paymentIntentId) throw new Error(`charge ${charge.id} has no PaymentIntent to refund`);
  const refund = await stripe.refunds.create(
    { payment_intent: paymentIntentId },
    { idempotencyKey: `refund-${charge.id}` },
  );
  return setRefund(tx, charge.id, {
    stripeRefundId: refund.id,
    ...(charge.stripeId ? {} : { stripeId: paymentIntentId }),
  });
}
