import {
  EventBus,
  Outbox,
  connectDatabase,
  createLogger,
  liveStreamSettings,
  runService,
  SessionVersions,
  probeReadiness,
  SharedRateLimits,
  startListeners,
  startServiceTracing,
} from '@ticketing/common';
import { buildApp } from './app';
import { loadOrdersConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { ORDERS_RETIRED_DURABLES, ordersListeners } from './events';
import { createLiveOrders, startOrderFeed } from './orders/live-orders';
import { reservationTermsOf } from './orders/reservation-terms';
import { startOrderRestatement } from './orders/restate-settled-orders';
import { startOrderSweep } from './orders/sweep-overdue-orders';

const config = loadOrdersConfig();
const logger = createLogger({ service: 'orders', level: config.LOG_LEVEL });

void runService(logger, async (lifecycle) => {
  // First, so that it stops last and the spans of the shutdown are sent too.
  startServiceTracing(lifecycle, config, 'orders', logger);

  const database = await connectDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    schema,
    migrationsFolder,
    logger,
  });
  lifecycle.onStop('database', () => database.close());

  const bus = await EventBus.connectWithConfig(config, 'orders', logger);
  lifecycle.onStop('bus', () => bus.close());

  // orders publishes order.created / order.cancelled / order.completed / order.restated.
  const outbox = new Outbox(database.db, { logger });
  outbox.startRelay(bus);
  lifecycle.onStop('outbox relay', () => outbox.stopRelay());

  // Before the listeners: a listener whose dependency is down pauses until this passes (docs/rules.md#rule-6).
  const readiness = probeReadiness({ database, bus });
  // Stopped before the relay, so that events their last effects recorded still get published.
  const terms = reservationTermsOf(config);
  const listeners = await startListeners(bus, ordersListeners(outbox, terms), {
    retiredDurables: ORDERS_RETIRED_DURABLES,
    readiness,
  });
  lifecycle.onStop('listeners', () => listeners.stop());

  const sweep = startOrderSweep(outbox, {
    intervalSeconds: config.ORDER_SWEEP_INTERVAL_SECONDS,
    graceSeconds: config.ORDER_SWEEP_GRACE_SECONDS,
    terms,
    logger,
  });
  lifecycle.onStop('order sweep', () => sweep.stop());

  const restatement = startOrderRestatement(outbox, {
    intervalSeconds: config.ORDER_RESTATE_INTERVAL_SECONDS,
    settleSeconds: config.ORDER_RESTATE_AFTER_SECONDS,
    logger,
  });
  lifecycle.onStop('order restatement', () => restatement.stop());

  // Abuse limits shared with the other replicas; they stay open (and say so) while Redis is away.
  const rateLimits = await SharedRateLimits.startFor(lifecycle, config, logger);

  // One subscription per process hands order changes to the streams its buyers hold open.
  const liveOrders = createLiveOrders(database.db, liveStreamSettings(config), logger);
  const feed = startOrderFeed(bus, liveOrders, logger);

  // Every session revocation of the last session lifetime, held in this process's memory (the middleware
  // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
  // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
  const sessionVersions = await SessionVersions.startFor(lifecycle, config, logger);

  await lifecycle.listen(buildApp({ config, outbox, logger, readiness, sessionVersions, rateLimits, liveOrders }), {
    host: config.HOST,
    port: config.PORT,
  });
  // Registered after the server, so stopped before it: open streams would hold its close() for ever.
  lifecycle.onStop('live streams', async () => {
    feed.stop();
    liveOrders.close();
  });
});
