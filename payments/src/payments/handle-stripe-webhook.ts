import Stripe from 'stripe';
import { BadRequestError, ServiceUnavailableError } from '@ticketing/common/errors';
import { isUuid } from '@ticketing/common/middleware';
import { recordStripeEvent } from '../db/stripe-events';
import type { PaymentDependencies } from './dependencies';
import { completeCharge, failCharge } from './settle-charge';

/**
 * Handles one webhook delivery from Stripe: the backstop that settles a charge whose payment request
 * ended without an answer (a timeout, a crash after Stripe took the money).
 *
 * The signature is checked over the exact bytes received. The event id is recorded in the same
 * transaction as its effect, so a redelivery changes nothing and a failed effect is retried by Stripe
 * (any answer but 2xx makes Stripe deliver again later).
 */
export async function handleStripeWebhook(
  deps: PaymentDependencies,
  rawBody: Buffer | undefined,
  signature: string | undefined,
): Promise<void> {
  const event = verifiedEvent(deps, rawBody, signature);
  try {
    await deps.unitOfWork.transaction(async (tx, events) => {
      if (!(await recordStripeEvent(tx, event.id))) return;
      // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- Stripe has hundreds of event types; the default acknowledges those that are not ours.
      switch (event.type) {
        case 'payment_intent.succeeded': {
          const chargeId = chargeIdOf(event.data.object);
          if (chargeId) await completeCharge(tx, events, deps.stripe, chargeId, event.data.object.id);
          return;
        }
        case 'payment_intent.payment_failed': {
          const intent = event.data.object;
          const chargeId = chargeIdOf(intent);
          const failureMessage = intent.last_payment_error?.message ?? 'Your card was declined.';
          if (chargeId) await failCharge(tx, events, chargeId, { stripeId: intent.id, failureMessage });
          return;
        }
        default:
          // Other event types are not ours to act on; acknowledging them stops the redeliveries.
          return;
      }
    });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      // A refund this event required failed: answer non-2xx so that Stripe delivers the event again.
      deps.logger.error({ err: error, stripeEventId: event.id }, 'webhook effect failed on a Stripe call');
      throw new ServiceUnavailableError('Could not handle the event now, please retry');
    }
    throw error;
  }
}

function verifiedEvent(
  deps: PaymentDependencies,
  rawBody: Buffer | undefined,
  signature: string | undefined,
): Stripe.Event {
  if (!rawBody || !signature) throw new BadRequestError('Invalid signature');
  try {
    return deps.stripe.webhooks.constructEvent(rawBody, signature, deps.webhookSecret);
  } catch {
    throw new BadRequestError('Invalid signature');
  }
}

/** Our charge id, as payForOrder put it in the PaymentIntent's metadata; undefined for foreign intents. */
function chargeIdOf(intent: Stripe.PaymentIntent): string | undefined {
  const chargeId = intent.metadata?.chargeId;
  return isUuid(chargeId) ? chargeId : undefined;
}
