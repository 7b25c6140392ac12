import type Stripe from 'stripe';
import type { Logger, Outbox } from '@ticketing/common';

/** What the payment use cases work with: the database (through the outbox), Stripe, and a logger. */
export interface PaymentDependencies {
  outbox: Outbox;
  /** The official SDK, pointed at Stripe or at the local emulator (see stripe-client.ts). */
  stripe: Stripe;
  /** ISO currency of every PaymentIntent, lower case. */
  currency: string;
  /** Webhook signatures are checked with this secret. */
  webhookSecret: string;
  logger: Logger;
}

/** What the periodic backstops work with: no HTTP request, so no currency or webhook secret. */
export type BackstopDependencies = Pick<PaymentDependencies, 'outbox' | 'stripe' | 'logger'>;
