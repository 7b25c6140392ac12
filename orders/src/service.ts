import { defineService, liveStreamSettings, SessionVersions, SharedRateLimits } from '@ticketing/common';
import { buildApp } from './app';
import { loadOrdersConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { ORDERS_RETIRED_DURABLES, ordersListeners } from './events';
import { createLiveOrders, startOrderFeed } from './orders/live-orders';
import { reservationTermsOf } from './orders/reservation-terms';
import { startOrderRestatement } from './orders/restate-settled-orders';
import { startOrderSweep } from './orders/sweep-overdue-orders';

/**
 * The orders service's parts; index.ts starts them (common's startService owns the order), tests build
 * their app from the same declaration. orders publishes order.created / order.cancelled / order.completed /
 * order.restated.
 */
export const ordersService = defineService({
  name: 'orders',
  loadConfig: () => loadOrdersConfig(),
  database: { schema, migrationsFolder },
  connect: async ({ config, logger }, lifecycle) => ({
    // Abuse limits shared with the other replicas; they stay open (and say so) while Redis is away.
    rateLimits: await SharedRateLimits.startFor(lifecycle, config, logger),
    // Every session revocation of the last session lifetime, held in this process's memory (the middleware
    // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
    // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
    sessionVersions: await SessionVersions.startFor(lifecycle, config, logger),
  }),
  processState: ({ config, database, logger }) => ({
    terms: reservationTermsOf(config),
    // The order views this process's open streams show, fed from the bus (liveFeeds below).
    liveOrders: createLiveOrders(database.db, liveStreamSettings(config), logger),
  }),
  listeners: ({ outbox, terms }) => ordersListeners(outbox, terms),
  retiredDurables: ORDERS_RETIRED_DURABLES,
  jobs: ({ outbox, config, terms, logger }) => ({
    'order sweep': startOrderSweep(outbox, {
      intervalSeconds: config.ORDER_SWEEP_INTERVAL_SECONDS,
      graceSeconds: config.ORDER_SWEEP_GRACE_SECONDS,
      terms,
      logger,
    }),
    'order restatement': startOrderRestatement(outbox, {
      intervalSeconds: config.ORDER_RESTATE_INTERVAL_SECONDS,
      settleSeconds: config.ORDER_RESTATE_AFTER_SECONDS,
      logger,
    }),
  }),
  // One subscription per process hands order changes to the streams its buyers hold open.
  liveFeeds: ({ bus, liveOrders, logger }) => {
    const feed = startOrderFeed(bus, liveOrders, logger);
    return {
      'live streams': {
        stop: () => {
          feed.stop();
          liveOrders.close();
        },
      },
    };
  },
  app: (deps) => buildApp(deps),
});
