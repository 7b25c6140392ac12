import type { Express } from 'express';
import type Stripe from 'stripe';
import { createServiceApp, type ReadinessProbe } from '@ticketing/common/http';
import { perUser, type SessionVersionCheck, type SharedRateLimits } from '@ticketing/common/middleware';
import { admissionSettings, sessionSettings } from '@ticketing/common/config';
import { type Logger } from '@ticketing/common/logging';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { type ReplicaChanges } from '@ticketing/common/versions';
import { webhookSecret, type PaymentsConfig } from './config';
import { ORDER_REPLICA_POLL_MS } from './payments/pay-for-order';
import { paymentsRoutes } from './routes';

export interface PaymentsAppDependencies {
  config: PaymentsConfig;
  unitOfWork: UnitOfWork;
  stripe: Stripe;
  logger: Logger;
  readiness: ReadinessProbe;
  /** Users' current session versions (Redis, through a short cache named in service.ts). */
  sessionVersions: SessionVersionCheck;
  rateLimits: SharedRateLimits;
  /** This process's wake-ups for payments waiting on the order replica (its order listeners share it). */
  orderReplicaChanges: ReplicaChanges;
  /** How often such a payment reads the replica again; ORDER_REPLICA_POLL_MS unless a test says otherwise. */
  orderReplicaPollMs?: number;
}

/** The payments service's HTTP app; it never listens (the service core does, tests use supertest). */
export function buildApp({
  config,
  unitOfWork,
  stripe,
  logger,
  readiness,
  sessionVersions,
  rateLimits,
  orderReplicaChanges,
  orderReplicaPollMs = ORDER_REPLICA_POLL_MS,
}: PaymentsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: { ...sessionSettings(config), versions: sessionVersions },
    admission: admissionSettings(config),
    readiness,
    routes: paymentsRoutes(
      {
        unitOfWork,
        stripe,
        logger,
        currency: config.STRIPE_CURRENCY,
        webhookSecret: webhookSecret(config),
        orderReplica: {
          changes: orderReplicaChanges,
          waitMs: config.ORDER_REPLICA_WAIT_MS,
          pollMs: orderReplicaPollMs,
        },
      },
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
