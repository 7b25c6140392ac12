import { defineService } from '@ticketing/common/service';
import { liveStreamSettings } from '@ticketing/common/live';
import { ReplicaChanges } from '@ticketing/common/versions';
import { SessionVersions, SharedRateLimits } from '@ticketing/common/middleware';
import { buildApp } from './app';
import { loadOrdersConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { ORDERS_RETIRED_DURABLES, ordersListeners } from './events';
import { HeldTickets } from './orders/held-tickets';
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
  // Each is right with two replicas (docs/architecture.md, "Process state"): none decides who holds a ticket.
  processState: ({ config, database, logger }) => ({
    terms: reservationTermsOf(config),
    // Tickets this process has just seen held: a hint for a refusal (409 from memory), never for a win (the
    // unique index decides); every replica's cancellation on the bus forgets it, so it is stale only for a
    // release this process missed, for HELD_TICKET_MEMORY_MS at most.
    heldTickets: new HeldTickets(config.HELD_TICKET_MEMORY_MS),
    // Per ticket, this process's one reservation transaction at a time; across replicas the index decides.
    attemptsUnderWay: new Map<string, Promise<void>>(),
    // Per ticket, the first buyer's request this process is serving: buyers arriving meanwhile wait for it.
    requestsUnderWay: new Map(),
    // Wakes this process's buyers waiting for the ticket replica; another replica's change is found by polling.
    ticketReplicaChanges: new ReplicaChanges(),
    // The order views this process's open streams show, fed from the bus (liveFeeds below) on every replica.
    liveOrders: createLiveOrders(database.db, liveStreamSettings(config), logger),
  }),
  listeners: (deps) => ordersListeners(deps.unitOfWork, deps.terms, deps),
  retiredDurables: ORDERS_RETIRED_DURABLES,
  jobs: (deps) => ({
    'order sweep': startOrderSweep(deps.unitOfWork, {
      intervalSeconds: deps.config.ORDER_SWEEP_INTERVAL_SECONDS,
      graceSeconds: deps.config.ORDER_SWEEP_GRACE_SECONDS,
      terms: deps.terms,
      memory: deps,
      logger: deps.logger,
    }),
    'order restatement': startOrderRestatement(deps.unitOfWork, {
      intervalSeconds: deps.config.ORDER_RESTATE_INTERVAL_SECONDS,
      settleSeconds: deps.config.ORDER_RESTATE_AFTER_SECONDS,
      logger: deps.logger,
    }),
  }),
  // One subscription per process hands order changes to the streams its buyers hold open, and tells its
  // memory of held tickets what every replica reserved and released.
  liveFeeds: ({ bus, liveOrders, logger, heldTickets }) => {
    const feed = startOrderFeed(bus, liveOrders, logger, heldTickets);
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
