import type Stripe from 'stripe';
import { ChargeStatus } from '@ticketing/common/events';
import { type EventRecorder } from '@ticketing/common/outbox';
import { type Executor } from '@ticketing/common/database';
import { findCharge, settleCharge } from '../db/charges';
import { lockOrder } from '../db/orders';
import { ChargeFailureKind, type Charge } from '../db/schema';
import { refundCancelledOrder } from './refund-cancelled-orders';
import { refundCharge } from './refund-charge';

/**
 * Records that Stripe took the money for a charge, inside `tx`: the charge becomes completed and
 * `charge.created` is owed to orders. If the order was cancelled meanwhile (a payment that raced the
 * expiry), the charge is refunded at once, in the same transaction.
 *
 * The payment's own answer, the `payment_intent.succeeded` webhook and the settlement backstop all come
 * here; whichever is second finds the charge settled and changes nothing. One exception: a charge the
 * backstop failed as never sent, because Stripe's search did not show its PaymentIntent yet, whose
 * payment then turns up. Nobody may keep that money: it is refunded. Resolves to the charge as it now is
 * (undefined when there is no such charge).
 */
export async function completeCharge(
  tx: Executor,
  events: EventRecorder,
  stripe: Stripe,
  chargeId: string,
  paymentIntentId: string,
): Promise<Charge | undefined> {
  const existing = await findCharge(tx, chargeId);
  if (!existing) return undefined;
  // The order's lock first, as every money decision does: a cancellation waits for us, or we see it.
  await lockOrder(tx, existing.orderId);
  const completed = await settleCharge(tx, chargeId, { status: ChargeStatus.Completed, stripeId: paymentIntentId });
  if (!completed) {
    const settled = await findCharge(tx, chargeId);
    if (settled?.failureKind === ChargeFailureKind.NeverSent) {
      return refundCharge(tx, stripe, settled, paymentIntentId);
    }
    return settled;
  }
  await events.record('charge.created', {
    id: completed.id,
    orderId: completed.orderId,
    status: ChargeStatus.Completed,
    amount: completed.amount,
    stripeId: paymentIntentId,
  });
  await refundCancelledOrder(tx, stripe, completed.orderId);
  return findCharge(tx, chargeId);
}

/**
 * Records that Stripe declined a charge, inside `tx`: the charge becomes failed (declined) and
 * `charge.created` (failed) is owed to orders, which cancels the order; payments answers any later
 * attempt for the order 409. Only a charge still `created` changes.
 */
export async function failCharge(
  tx: Executor,
  events: EventRecorder,
  chargeId: string,
  outcome: { stripeId: string; failureMessage: string },
): Promise<Charge | undefined> {
  const failed = await settleCharge(tx, chargeId, {
    status: ChargeStatus.Failed,
    failureKind: ChargeFailureKind.Declined,
    ...outcome,
  });
  if (!failed) return findCharge(tx, chargeId);
  await events.record('charge.created', {
    id: failed.id,
    orderId: failed.orderId,
    status: ChargeStatus.Failed,
    amount: failed.amount,
    stripeId: outcome.stripeId,
  });
  return failed;
}
