import type Stripe from 'stripe';
import { ChargeStatus } from '@ticketing/common/events';
import { findCharge, listChargesAwaitingOutcome, settleCharge } from '../db/charges';
import { lockOrder } from '../db/orders';
import { ChargeFailureKind } from '../db/schema';
import { isStripeUnreachable } from '../stripe-client';
import type { BackstopDependencies } from './dependencies';
import { outcomeOfPaymentIntent } from './payment-intent-outcome';
import { completeCharge, failCharge } from './settle-charge';

export const NEVER_SENT_MESSAGE = 'The payment request never reached Stripe';

export interface SettleUnknownChargesOptions {
  /**
   * Only charges last sent to Stripe longer ago than this (their latest attempt, not their creation: a
   * charge resumed a minute ago may be missing from Stripe's search still): the attempt is over, and
   * Stripe's search shows it.
   */
  settleAfterMs: number;
  now?: Date;
  /** How many charges are read at a time. */
  batchSize?: number;
}

/** What one charge turned out to be; `skipped` when it was settled or resumed meanwhile. */
export type Settlement = 'completed' | 'declined' | 'never_sent' | 'processing' | 'skipped';

export type SettlementSummary = Record<Settlement, number> & {
  /** True when Stripe did not answer: the run stopped there, the next one tries again. */
  stripeUnreachable: boolean;
};

/**
 * The backstop for charges whose outcome is unknown (docs/rules.md#rule-7): a payment request that got no
 * answer, whose webhook was lost too, and whose buyer did not retry. Each charge still `created`, last
 * sent to Stripe longer than `settleAfterMs` ago, with no attempt in flight, is looked up at Stripe by our charge id (the
 * PaymentIntent's `metadata.chargeId`) and settled the way the payment's own answer would have been:
 *
 * - succeeded: the charge completes (and is refunded at once if the order was cancelled meanwhile);
 * - declined, cancelled or otherwise not a payment: the charge fails as declined, and orders is told;
 * - processing: left for the next run (Stripe has not decided);
 * - no PaymentIntent at all: Stripe never received the request. The charge fails as never sent, without
 *   telling orders (nothing was declined), so the buyer may pay again with a new charge.
 *
 * If Stripe does not answer, the run stops and the next one tries again.
 */
export async function settleUnknownCharges(
  deps: BackstopDependencies,
  { settleAfterMs, now = new Date(), batchSize = 100 }: SettleUnknownChargesOptions,
): Promise<SettlementSummary> {
  const summary: SettlementSummary = {
    completed: 0,
    declined: 0,
    never_sent: 0,
    processing: 0,
    skipped: 0,
    stripeUnreachable: false,
  };
  const attemptedBefore = new Date(now.getTime() - settleAfterMs);
  let afterId: string | undefined;
  for (;;) {
    const page = await listChargesAwaitingOutcome(deps.unitOfWork.db, {
      attemptedBefore,
      now,
      afterId,
      limit: batchSize,
    });
    for (const chargeId of page) {
      try {
        summary[await settleUnknownCharge(deps, chargeId, now)] += 1;
      } catch (error) {
        if (isStripeUnreachable(error)) {
          deps.logger.warn({ err: error, chargeId }, 'Stripe unreachable while settling charges; next run tries again');
          return { ...summary, stripeUnreachable: true };
        }
        deps.logger.error({ err: error, chargeId }, 'could not settle a charge whose outcome is unknown');
      }
    }
    if (page.length < batchSize) return summary;
    afterId = page.at(-1);
  }
}

/**
 * Settles one charge in one transaction holding its order's row lock. A payment of the same order waits
 * meanwhile, so it cannot resume this charge (and send it to Stripe) between our look at Stripe and our
 * conclusion; the charge is read again under the lock for the same reason.
 */
async function settleUnknownCharge(deps: BackstopDependencies, chargeId: string, now: Date): Promise<Settlement> {
  return deps.unitOfWork.transaction(async (tx, events) => {
    const candidate = await findCharge(tx, chargeId);
    if (!candidate) return 'skipped';
    await lockOrder(tx, candidate.orderId);
    const charge = await findCharge(tx, chargeId);
    if (charge?.status !== ChargeStatus.Created) return 'skipped';
    // A payment resumed this charge and is talking to Stripe right now: its answer settles it.
    if (charge.attemptExpiresAt && charge.attemptExpiresAt > now) return 'skipped';

    const intent = await findPaymentIntentOfCharge(deps.stripe, chargeId);
    if (!intent) {
      await settleCharge(tx, chargeId, {
        status: ChargeStatus.Failed,
        failureKind: ChargeFailureKind.NeverSent,
        stripeId: null,
        failureMessage: NEVER_SENT_MESSAGE,
      });
      return 'never_sent';
    }
    const outcome = outcomeOfPaymentIntent(intent);
    switch (outcome.kind) {
      case 'succeeded':
        await completeCharge(tx, events, deps.stripe, chargeId, intent.id);
        return 'completed';
      case 'processing':
        return 'processing';
      case 'declined':
        await failCharge(tx, events, chargeId, { stripeId: intent.id, failureMessage: outcome.failureMessage });
        return 'declined';
    }
  });
}

/**
 * The PaymentIntent payForOrder created for a charge, found by the charge id in its metadata. There is
 * one per charge (the idempotency key is the charge's); should there be more, the one that took money
 * counts. Stripe's search lags behind writes, usually by under a minute: hence the settle-after age.
 */
async function findPaymentIntentOfCharge(stripe: Stripe, chargeId: string): Promise<Stripe.PaymentIntent | undefined> {
  const { data } = await stripe.paymentIntents.search({ query: `metadata['chargeId']:'${chargeId}'`, limit: 10 });
  const withStatus = (status: Stripe.PaymentIntent.Status) => data.find((intent) => intent.status === status);
  return withStatus('succeeded') ?? withStatus('processing') ?? data[0];
}
