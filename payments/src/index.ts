import {
  EventBus,
  Outbox,
  ReplicaChanges,
  SharedRateLimits,
  connectDatabase,
  createLogger,
  probeReadiness,
  runService,
  SessionVersions,
  startListeners,
  startServiceTracing,
} from '@ticketing/common';
import { buildApp } from './app';
import { loadPaymentsConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { paymentsListeners } from './events';
import { startChargeReconciliation } from './payments/charge-reconciliation';
import { createStripeClient } from './stripe-client';

const config = loadPaymentsConfig();
const logger = createLogger({ service: 'payments', level: config.LOG_LEVEL });

void runService(logger, async (lifecycle) => {
  // First, so that it stops last and the spans of the shutdown are sent too.
  startServiceTracing(lifecycle, config, 'payments', logger);

  const database = await connectDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    schema,
    migrationsFolder,
    logger,
  });
  lifecycle.onStop('database', () => database.close());

  const bus = await EventBus.connectWithConfig(config, 'payments', logger);
  lifecycle.onStop('bus', () => bus.close());

  const outbox = new Outbox(database.db, { logger });
  outbox.startRelay(bus);
  lifecycle.onStop('outbox relay', () => outbox.stopRelay());

  const stripe = createStripeClient(config);
  logger.info(
    { stripe: config.STRIPE_SECRET_KEY ? 'api.stripe.com' : config.STRIPE_API_URL, currency: config.STRIPE_CURRENCY },
    'Stripe client ready',
  );
  // Per process: payments waiting for an order this process's listeners have not applied yet are woken by
  // their commits; an order another replica applied is found by the waiting payment's own poll.
  const orderReplicaChanges = new ReplicaChanges();
  // Before the listeners: a listener whose dependency is down pauses until this passes (docs/rules.md#rule-6).
  const readiness = probeReadiness({ database, bus });
  // Stopped before the relay (last registered, first stopped), so events they record still get relayed.
  const listeners = await startListeners(bus, paymentsListeners(outbox, stripe, orderReplicaChanges), { readiness });
  lifecycle.onStop('listeners', () => listeners.stop());

  const reconciliation = startChargeReconciliation(
    { outbox, stripe, logger },
    {
      intervalMs: config.CHARGE_RECONCILE_INTERVAL_SECONDS * 1000,
      settleAfterMs: config.CHARGE_SETTLE_AFTER_SECONDS * 1000,
    },
  );
  lifecycle.onStop('charge reconciliation', () => reconciliation.stop());

  // Abuse limits shared with the other replicas; they stay open (and say so) while Redis is away.
  const rateLimits = await SharedRateLimits.startFor(lifecycle, config, logger);

  // Every session revocation of the last session lifetime, held in this process's memory (the middleware
  // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
  // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
  const sessionVersions = await SessionVersions.startFor(lifecycle, config, logger);

  await lifecycle.listen(
    buildApp({ config, outbox, stripe, logger, readiness, sessionVersions, rateLimits, orderReplicaChanges }),
    {
      host: config.HOST,
      port: config.PORT,
    },
  );
});
