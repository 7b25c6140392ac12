import type { Express } from 'express';
import type Stripe from 'stripe';
import { createServiceApp, type Logger, type Outbox } from '@ticketing/common';
import { cookieSecure, webhookSecret, type PaymentsConfig } from './config';
import { paymentsRoutes } from './routes';

export interface PaymentsAppDependencies {
  config: PaymentsConfig;
  outbox: Outbox;
  stripe: Stripe;
  logger: Logger;
  readiness: () => Promise<Record<string, boolean>>;
}

/** The payments service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, stripe, logger, readiness }: PaymentsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: {
      jwtKey: config.JWT_KEY,
      cookieSecure: cookieSecure(config),
      maxAgeMs: config.SESSION_TTL_SECONDS * 1000,
    },
    readiness,
    routes: paymentsRoutes({
      outbox,
      stripe,
      logger,
      currency: config.STRIPE_CURRENCY,
      webhookSecret: webhookSecret(config),
    }),
  });
}
