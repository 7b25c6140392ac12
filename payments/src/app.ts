import type { Express } from 'express';
import type Stripe from 'stripe';
import { createServiceApp, sessionSettings, type Logger, type Outbox, type ReadinessProbe } from '@ticketing/common';
import { webhookSecret, type PaymentsConfig } from './config';
import { paymentsRoutes } from './routes';

export interface PaymentsAppDependencies {
  config: PaymentsConfig;
  outbox: Outbox;
  stripe: Stripe;
  logger: Logger;
  readiness: ReadinessProbe;
}

/** The payments service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, stripe, logger, readiness }: PaymentsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: sessionSettings(config),
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
