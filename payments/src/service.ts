import { defineService } from '@ticketing/common/service';
import { ReplicaChanges } from '@ticketing/common/versions';
import { SessionVersions, SharedRateLimits } from '@ticketing/common/middleware';
import { buildApp } from './app';
import { loadPaymentsConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { paymentsListeners } from './events';
import { startChargeReconciliation } from './payments/charge-reconciliation';
import { createStripeClient } from './stripe-client';

/**
 * The payments service's parts; index.ts starts them (common's startService owns the order), tests build
 * their app from the same declaration.
 */
export const paymentsService = defineService({
  name: 'payments',
  loadConfig: () => loadPaymentsConfig(),
  database: { schema, migrationsFolder },
  connect: async ({ config, logger }, lifecycle) => {
    const stripe = createStripeClient(config);
    logger.info(
      { stripe: config.STRIPE_SECRET_KEY ? 'api.stripe.com' : config.STRIPE_API_URL, currency: config.STRIPE_CURRENCY },
      'Stripe client ready',
    );
    return {
      stripe,
      // Abuse limits shared with the other replicas; they stay open (and say so) while Redis is away.
      rateLimits: await SharedRateLimits.startFor(lifecycle, config, logger),
      // Every session revocation of the last session lifetime, held in this process's memory (the middleware
      // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
      // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
      sessionVersions: await SessionVersions.startFor(lifecycle, config, logger),
    };
  },
  // Right with two replicas (docs/architecture.md, "Process state"): it only wakes early.
  processState: () => ({
    // Per process: payments waiting for an order this process's listeners have not applied yet are woken by
    // their commits; an order another replica applied is found by the waiting payment's own poll.
    orderReplicaChanges: new ReplicaChanges(),
  }),
  listeners: ({ unitOfWork, stripe, orderReplicaChanges }) =>
    paymentsListeners(unitOfWork, stripe, orderReplicaChanges),
  jobs: ({ unitOfWork, stripe, logger, config }) => ({
    'charge reconciliation': startChargeReconciliation(
      { unitOfWork, stripe, logger },
      {
        intervalMs: config.CHARGE_RECONCILE_INTERVAL_SECONDS * 1000,
        settleAfterMs: config.CHARGE_SETTLE_AFTER_SECONDS * 1000,
      },
    ),
  }),
  app: (deps) => buildApp(deps),
});
