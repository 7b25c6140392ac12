import type { Express } from 'express';
import type Stripe from 'stripe';
import {
  createServiceApp,
  perUser,
  admissionSettings,
  sessionSettings,
  type Logger,
  type Outbox,
  type ReadinessProbe,
  type SessionVersionCheck,
  type SharedRateLimits,
} from '@ticketing/common';
import { webhookSecret, type PaymentsConfig } from './config';
import { paymentsRoutes } from './routes';

export interface PaymentsAppDependencies {
  config: PaymentsConfig;
  outbox: Outbox;
  stripe: Stripe;
  logger: Logger;
  readiness: ReadinessProbe;
  /** Users' current session versions (Redis, through a short cache named in index.ts). */
  sessionVersions: SessionVersionCheck;
  rateLimits: SharedRateLimits;
}

/** The payments service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({
  config,
  outbox,
  stripe,
  logger,
  readiness,
  sessionVersions,
  rateLimits,
}: PaymentsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: { ...sessionSettings(config), versions: sessionVersions },
    admission: admissionSettings(config),
    readiness,
    routes: paymentsRoutes(
      { outbox, stripe, logger, currency: config.STRIPE_CURRENCY, webhookSecret: webhookSecret(config) },
      rateLimits.limit({
        name: 'payments-create',
        points: config.PAYMENT_RATE_LIMIT_PER_MINUTE,
        windowSeconds: 60,
        key: perUser,
        message: 'Too many payment attempts; please wait a minute',
      }),
    ),
  });
}
