import type Stripe from 'stripe';

/** What a PaymentIntent we created and confirmed at once means for its charge. */
export type PaymentIntentOutcome =
  /** Stripe has the money. */
  | { kind: 'succeeded' }
  /** Stripe has the payment and has not decided yet: it reports later (webhook, or the next look). */
  | { kind: 'processing' }
  /** Anything else is not a payment, and will not become one on its own: a decline for the order. */
  | { kind: 'declined'; failureMessage: string };

/**
 * Reads the outcome of a PaymentIntent that payForOrder created with `confirm: true`. Besides a decline
 * (`requires_payment_method` with `last_payment_error`), `requires_action` (3-D Secure) and the like
 * cannot be completed by a server-side confirmation, and a cancelled intent never will be.
 */
export function outcomeOfPaymentIntent(intent: Stripe.PaymentIntent): PaymentIntentOutcome {
  switch (intent.status) {
    case 'succeeded':
      return { kind: 'succeeded' };
    case 'processing':
      return { kind: 'processing' };
    case 'requires_payment_method':
    case 'requires_action':
    case 'requires_confirmation':
    case 'requires_capture':
    case 'canceled':
    default: // A status newer than this SDK's types: not a payment either.
      return {
        kind: 'declined',
        failureMessage:
          intent.last_payment_error?.message ??
          (intent.status === 'requires_action'
            ? 'Your card requires authentication, which this checkout does not support.'
            : 'Your card was declined.'),
      };
  }
}
