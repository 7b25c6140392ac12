import Stripe from 'stripe';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PaymentDeclinedError,
  ServiceUnavailableError,
} from '@ticketing/common/errors';
import { ChargeStatus, OrderStatus } from '@ticketing/common/events';
import { MAX_PRICE_CENTS, MIN_PRICE_CENTS, isChargeableAmount } from '@ticketing/common/money';
import { inTraceOf, type TraceCarrier } from '@ticketing/common/observability';
import {
  findLiveCharge,
  hasDeclinedCharge,
  insertCharge,
  releaseAttemptLease,
  resumeAttempt,
  settleCharge,
} from '../db/charges';
import { findCustomer } from '../db/customers';
import { lockOrder, orderIsKnown } from '../db/orders';
import { ChargeFailureKind, type Charge, type OrderReplica } from '../db/schema';
import { toChargeView, type ChargeView } from './charge-view';
import type { PaymentDependencies } from './dependencies';
import { outcomeOfPaymentIntent } from './payment-intent-outcome';
import { completeCharge, failCharge } from './settle-charge';

/**
 * How long one request to Stripe is presumed to be in flight. Longer than the SDK's own timeout and
 * retries in practice; if a process dies mid-request, the attempt becomes resumable after this. Even an
 * overlap would be safe (same idempotency key), this only keeps a double click from racing itself.
 */
export const ATTEMPT_LEASE_MS = 2 * 60_000;

export const UNAVAILABLE_MESSAGE = 'Payment could not be completed, please try again';
export const DECLINED_ORDER_MESSAGE = 'Payment was declined; this order is cancelled';
export const EVENT_STARTED_MESSAGE = 'The event has already started';

/** Whether the order's event has begun by `now` (an order whose start is not known never has). */
function eventHasStarted(order: Pick<OrderReplica, 'startsAt'>, now = new Date()): boolean {
  return order.startsAt !== null && order.startsAt.getTime() <= now.getTime();
}

export interface PaymentRequest {
  userId: string;
  orderId: string;
  paymentMethodId: string;
}

/**
 * Takes payment for an order with a Stripe PaymentIntent (docs/rules.md#rule-5).
 *
 * 0. An order payments has not heard of yet (the buyer pays right after reserving, order.created is on its
 *    way) is waited for, briefly, outside any transaction; then 503, never a 404 for an order that exists.
 * 1. In a transaction holding the order's row lock: check the order (the buyer's, never declined, not
 *    cancelled, a price Stripe can charge, its event not started), then start a charge, or resume the one
 *    whose earlier attempt ended without an answer. The charge is committed before Stripe is called, so that whatever Stripe
 *    does, a webhook, a retry or the settlement backstop finds it.
 * 2. Ask Stripe to create and confirm a PaymentIntent with the idempotency key `charge-<id>`: a resumed
 *    attempt sends the same key and the same parameters, so Stripe answers as it did the first time
 *    instead of charging twice.
 * 3. Record the outcome: completed (201), declined (402, and orders cancels the order), or unknown (503,
 *    the charge stays `created` for the next attempt, the webhook, or the settlement backstop).
 */
export async function payForOrder(deps: PaymentDependencies, request: PaymentRequest): Promise<ChargeView> {
  await waitForOrderReplica(deps, request.orderId);
  const { charge, orderTrace } = await startAttempt(deps, request);
  // Steps 2 and 3 join the trace the order's reservation began (one purchase, one trace), linked to this
  // request's own; so do charge.created and what orders and tickets do on hearing it.
  return inTraceOf('pay for order', orderTrace, () => chargeCard(deps, charge));
}

/** Steps 2 and 3: asks Stripe, and records what it answered. */
async function chargeCard(deps: PaymentDependencies, charge: Charge): Promise<ChargeView> {
  let intent: Stripe.PaymentIntent;
  try {
    intent = await deps.stripe.paymentIntents.create(
      {
        amount: charge.amount,
        currency: deps.currency,
        payment_method: charge.paymentMethodId,
        confirm: true,
        // No redirect-based method, so the server can confirm without a return_url. (SDK 23 dropped
        // `payment_method_types` from this call; this form is accepted by Stripe and by the emulator alike.)
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { orderId: charge.orderId, chargeId: charge.id },
        ...(charge.receiptEmail ? { receipt_email: charge.receiptEmail } : {}),
      },
      { idempotencyKey: `charge-${charge.id}` },
    );
  } catch (error) {
    throw await recordStripeFailure(deps, charge, error);
  }

  const outcome = outcomeOfPaymentIntent(intent);
  switch (outcome.kind) {
    case 'succeeded': {
      const completed = await deps.unitOfWork
        .transaction((tx, events) => completeCharge(tx, events, deps.stripe, charge.id, intent.id))
        .catch(async (error: unknown) => {
          // Only the refund of a payment that raced a cancellation calls Stripe here. It rolled back with
          // the completion; the charge stays `created` and the succeeded webhook completes and refunds it.
          if (error instanceof Stripe.errors.StripeError) {
            deps.logger.error({ err: error, chargeId: charge.id }, 'refund of a late payment failed');
            await releaseAttempt(deps, charge);
            throw new ServiceUnavailableError(UNAVAILABLE_MESSAGE);
          }
          throw error;
        });
      return toChargeView(completed ?? charge);
    }
    case 'processing': {
      // Stripe has the payment and will tell us through payment_intent.succeeded / payment_failed.
      await releaseAttempt(deps, charge);
      return toChargeView(charge);
    }
    case 'declined': {
      const { failureMessage } = outcome;
      await deps.unitOfWork.transaction((tx, events) =>
        failCharge(tx, events, charge.id, { stripeId: intent.id, failureMessage }),
      );
      throw new PaymentDeclinedError(failureMessage);
    }
  }
}

/** How often a payment waiting for the order replica reads it again, for an order another replica of payments applied. */
export const ORDER_REPLICA_POLL_MS = 100;

export const ORDER_NOT_READY_MESSAGE = 'Your order is still being set up for payment; please try again in a moment';

/**
 * Step 0: waits (at most `orderReplica.waitMs`) until the replica holds the order. This process's order
 * listeners wake the wait as soon as they commit it; another replica's commit is found by a read every
 * `pollMs`. Still unknown after the wait: 503 with Retry-After, since payments cannot tell an order on its
 * way from one that does not exist (the buyer's rate limit bounds how often anyone can make it wait).
 * No transaction and no connection are held while waiting.
 */
async function waitForOrderReplica(deps: PaymentDependencies, orderId: string): Promise<void> {
  const { changes, waitMs, pollMs } = deps.orderReplica;
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Taken before the read, so that an order committed while reading still wakes this payment.
    const change = changes.next(orderId);
    if (await orderIsKnown(deps.unitOfWork.db, orderId)) return change.cancel();
    const left = deadline - Date.now();
    if (left <= 0) {
      change.cancel();
      throw new ServiceUnavailableError(ORDER_NOT_READY_MESSAGE, 1);
    }
    await change.within(Math.min(pollMs, left));
  }
}

/** Step 1: checks the order under its row lock and returns the charge to send to Stripe, and the order's trace. */
async function startAttempt(
  deps: PaymentDependencies,
  request: PaymentRequest,
): Promise<{ charge: Charge; orderTrace: TraceCarrier | null }> {
  return deps.unitOfWork.transaction(async (tx) => {
    const order = await lockOrder(tx, request.orderId);
    // Step 0 saw it: an order is never deleted, so this is only a guard.
    if (!order) throw new NotFoundError('Order not found');
    if (order.userId !== request.userId) throw new ForbiddenError('You did not place this order');
    // A decline cancels the order (orders does so on charge.created failed), but that news takes a while
    // to come back as order.cancelled; until then the replica still says `created`. The decline itself is
    // ours to know at once: a retry right after it would otherwise be charged, then refunded.
    if (await hasDeclinedCharge(tx, order.id)) throw new ConflictError(DECLINED_ORDER_MESSAGE);
    if (order.status === OrderStatus.Cancelled) throw new ConflictError('Order was cancelled or has expired');
    // Stripe refuses amounts outside its range: asking would only turn the order into a rejected request.
    if (!isChargeableAmount(order.price)) throw new ConflictError(unchargeableAmountMessage(order.price));

    const attemptExpiresAt = new Date(Date.now() + ATTEMPT_LEASE_MS);
    const live = await findLiveCharge(tx, order.id);
    if (live?.status === ChargeStatus.Completed) throw new ConflictError('Order is already paid');
    // Nobody pays for an event that has begun: no money is taken from its start on, by this process's clock,
    // whatever the order's status says. Orders cancels the order at the start (its reservation never
    // outlives the event), so this only closes the gap until that cancellation arrives.
    if (eventHasStarted(order)) throw new ConflictError(EVENT_STARTED_MESSAGE);
    if (live) {
      if (live.attemptExpiresAt && live.attemptExpiresAt > new Date()) {
        throw new ConflictError('A payment for this order is already in progress');
      }
      // An earlier attempt whose outcome we never learnt: resume it with its own parameters (Stripe
      // refuses a reused idempotency key with different ones), even if this request names another card.
      await resumeAttempt(tx, live.id, attemptExpiresAt);
      return { charge: live, orderTrace: order.traceContext };
    }
    const customer = await findCustomer(tx, request.userId);
    const charge = await insertCharge(tx, {
      orderId: order.id,
      amount: order.price,
      paymentMethodId: request.paymentMethodId,
      receiptEmail: customer?.email ?? null,
      attemptExpiresAt,
    });
    return { charge, orderTrace: order.traceContext };
  });
}

const formatDollars = (cents: number) =>
  `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Why an order's price cannot be paid, in the buyer's words (the range is Stripe's for USD). */
export function unchargeableAmountMessage(cents: number): string {
  return `This order's price of ${formatDollars(cents)} cannot be paid by card: payments must be between ${formatDollars(MIN_PRICE_CENTS)} and ${formatDollars(MAX_PRICE_CENTS)}`;
}

/** Step 3 when Stripe threw: records what is known and returns the error to answer with. */
async function recordStripeFailure(deps: PaymentDependencies, charge: Charge, error: unknown): Promise<Error> {
  if (error instanceof Stripe.errors.StripeCardError) {
    const failureMessage = error.message;
    const stripeId = error.payment_intent?.id ?? error.requestId ?? 'declined';
    await deps.unitOfWork.transaction((tx, events) => failCharge(tx, events, charge.id, { stripeId, failureMessage }));
    return new PaymentDeclinedError(failureMessage);
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    // Stripe refused the request itself (an unknown payment method, say): nothing was charged, and the
    // same request can never succeed, so the charge must not stay resumable. No charge.created either:
    // nothing was declined, and the buyer may still pay the order with a valid card.
    await deps.unitOfWork.transaction((tx) =>
      settleCharge(tx, charge.id, {
        status: ChargeStatus.Failed,
        failureKind: ChargeFailureKind.Rejected,
        stripeId: error.requestId ?? 'rejected',
        failureMessage: error.message,
      }),
    );
    deps.logger.warn({ err: error, chargeId: charge.id }, 'Stripe rejected the payment request');
    return new BadRequestError(error.message, error.param === 'payment_method' ? 'paymentMethodId' : undefined);
  }
  // No answer (network, Stripe down, rate limit, our configuration): the outcome is unknown. The charge
  // stays `created`; the next attempt resumes it with the same idempotency key, and the webhook settles it
  // if Stripe did take the money.
  deps.logger.error({ err: error, chargeId: charge.id }, 'Stripe did not complete the payment request');
  await releaseAttempt(deps, charge);
  return new ServiceUnavailableError(UNAVAILABLE_MESSAGE);
}

/** The request to Stripe is over: a next attempt may resume the charge at once. */
async function releaseAttempt(deps: PaymentDependencies, charge: Charge): Promise<void> {
  // Best effort: if this write fails too, the lease simply runs out.
  await releaseAttemptLease(deps.unitOfWork.db, charge.id).catch((error: unknown) =>
    deps.logger.warn({ err: error, chargeId: charge.id }, 'could not release the payment attempt'),
  );
}
