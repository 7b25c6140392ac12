import { z } from 'zod';
import { liveStreamEnvironment } from '@ticketing/common/live';
import { loadConfig, rateLimitEnvironment, serviceEnvironment, sessionEnvironment } from '@ticketing/common/config';
import { DEFAULT_HELD_TICKET_MEMORY_MS } from './orders/held-tickets';

/** The orders service's environment: the shared variables, the session, live streams, the lock window and the sweep. */
export const ordersEnvironment = serviceEnvironment(3003)
  .extend(sessionEnvironment.shape)
  .extend(rateLimitEnvironment.shape)
  .extend(liveStreamEnvironment.shape)
  .extend({
    /** How long a buyer holds the ticket while paying: expiresAt = creation + this. */
    ORDER_EXPIRATION_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(15 * 60),
    /** How often the backstop sweep looks for overdue unpaid orders (docs/rules.md#rule-7). */
    ORDER_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(30),
    /**
     * How long past expiresAt the sweep waits before cancelling: the expiration service's timer is the
     * normal path, and the sweep must not race it for orders that are merely on time.
     */
    ORDER_SWEEP_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
    /** Reservation attempts one buyer may make per minute, across replicas, before 429. */
    ORDER_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /** Most unpaid orders (reservations) one buyer may hold at once; the next one is a 429. */
    MAX_LIVE_ORDERS_PER_BUYER: z.coerce.number().int().min(1).default(5),
    /**
     * How long an order waits for the ticket replica to reach the version the buyer saw (an edit whose
     * ticket.updated is still on its way) before answering 503.
     */
    TICKET_REPLICA_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
    /**
     * How long a ticket seen held is refused from memory (held-tickets.ts): the most a release this process
     * missed on the bus is answered "already reserved" late. 0 turns the memory off.
     */
    HELD_TICKET_MEMORY_MS: z.coerce.number().int().min(0).default(DEFAULT_HELD_TICKET_MEMORY_MS),
    /** How often the restatement job runs (docs/rules.md#rule-7: replicas converge after any fault). */
    ORDER_RESTATE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(30),
    /** How long after an order's last change it is restated: once the normal events have had their chance. */
    ORDER_RESTATE_AFTER_SECONDS: z.coerce.number().int().min(0).default(60),
  });

export type OrdersConfig = z.output<typeof ordersEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadOrdersConfig(env: NodeJS.ProcessEnv = process.env): Readonly<OrdersConfig> {
  return loadConfig(ordersEnvironment, env);
}
