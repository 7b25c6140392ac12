import Stripe from 'stripe';
import type { PaymentsConfig } from './config';

/** The key the local emulator accepts; never a real credential. */
export const EMULATOR_API_KEY = 'sk_test_ticketing_emulator';

/**
 * The official Stripe SDK, always: with `STRIPE_SECRET_KEY`, pointed at Stripe; without it, at the local
 * emulator (`STRIPE_API_URL`), so laptops and tests run the same code path as production.
 */
export function createStripeClient(config: Pick<PaymentsConfig, 'STRIPE_SECRET_KEY' | 'STRIPE_API_URL'>): Stripe {
  if (config.STRIPE_SECRET_KEY) {
    // Retrying is safe: every call we make carries an idempotency key.
    return new Stripe(config.STRIPE_SECRET_KEY, { maxNetworkRetries: 2 });
  }
  const url = new URL(config.STRIPE_API_URL);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(EMULATOR_API_KEY, {
    host: url.hostname,
    port: url.port || (protocol === 'https' ? 443 : 80),
    protocol,
    // A down emulator should answer at once (tests rely on it); the caller's retry resumes the attempt.
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

/**
 * No answer from Stripe (network, an outage, rate limiting): nothing was learnt, and the same call may
 * succeed later. Other errors are answers (a decline, an invalid request) and will not change on retry.
 */
export function isStripeUnreachable(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError
  );
}
