import { z } from 'zod';
import { loadConfig, rateLimitEnvironment, serviceEnvironment, sessionEnvironment } from '@ticketing/common/config';

/** The webhook secret the local Stripe emulator signs with; only ever used without a real Stripe key. */
export const EMULATOR_WEBHOOK_SECRET = 'whsec_ticketing_local_emulator';

/** An optional variable: unset and empty mean the same (manifests often carry `VALUE: ""`). */
const optionalString = () =>
  z.preprocess((value) => (value === '' ? undefined : value), z.string().trim().min(1).optional());

/**
 * The payments service's environment: the shared variables, the session, and Stripe. Without
 * `STRIPE_SECRET_KEY` the official SDK talks to the local emulator at `STRIPE_API_URL`; with it, to
 * Stripe itself, and then the webhook secret must be Stripe's too.
 */
export const paymentsEnvironment = serviceEnvironment(3004)
  .extend(sessionEnvironment.shape)
  .extend(rateLimitEnvironment.shape)
  .extend({
    /** Payment attempts one buyer may make per minute, across replicas, before 429. */
    PAYMENT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    /** A real Stripe secret (or restricted) key; unset on laptops and in tests, which use the emulator. */
    STRIPE_SECRET_KEY: optionalString().pipe(
      z
        .string()
        .regex(/^(sk|rk)_(test|live)_/, 'must be a Stripe secret key (sk_… or rk_…)')
        .optional(),
    ),
    /** Where the local Stripe emulator answers; ignored when STRIPE_SECRET_KEY is set. */
    STRIPE_API_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:12111'),
    /** Signs webhook deliveries (`whsec_…`); defaults to the emulator's only when no real key is set. */
    STRIPE_WEBHOOK_SECRET: optionalString(),
    /** ISO currency of every PaymentIntent, lower case. */
    STRIPE_CURRENCY: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a lower-case ISO currency code such as usd')
      .default('usd'),
    /**
     * How long a payment of an order payments has not heard of yet waits for order.created to reach its
     * replica before answering 503: a buyer pays right after reserving.
     */
    ORDER_REPLICA_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
    /** How often each charge backstop runs: settling unknown outcomes, refunding cancelled orders. */
    CHARGE_RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(60),
    /**
     * How old a charge still `created` (no answer from Stripe) must be before the backstop asks Stripe
     * about it. Stripe's search, which finds the PaymentIntent, lags behind writes by up to a minute.
     */
    CHARGE_SETTLE_AFTER_SECONDS: z.coerce.number().int().min(1).default(300),
  })
  // With a real key, the emulator's public webhook secret would accept forged webhooks: require Stripe's.
  .refine((config) => config.STRIPE_SECRET_KEY === undefined || config.STRIPE_WEBHOOK_SECRET !== undefined, {
    path: ['STRIPE_WEBHOOK_SECRET'],
    message: 'is required when STRIPE_SECRET_KEY is set',
    // Checked even when other variables are wrong too, so one failed start names every problem.
    when: () => true,
  })
  // Against real Stripe, an age under its search lag could call a payment it took "never sent".
  .refine((config) => config.STRIPE_SECRET_KEY === undefined || config.CHARGE_SETTLE_AFTER_SECONDS >= 60, {
    path: ['CHARGE_SETTLE_AFTER_SECONDS'],
    message: 'must be at least 60 with a real STRIPE_SECRET_KEY (Stripe search lags behind writes)',
    when: () => true,
  });

export type PaymentsConfig = z.output<typeof paymentsEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadPaymentsConfig(env: NodeJS.ProcessEnv = process.env): Readonly<PaymentsConfig> {
  return loadConfig(paymentsEnvironment, env);
}

/** The secret webhook signatures are checked with: Stripe's when configured, else the emulator's. */
export function webhookSecret(config: PaymentsConfig): string {
  return config.STRIPE_WEBHOOK_SECRET ?? EMULATOR_WEBHOOK_SECRET;
}
