import { z } from 'zod';
import { loadConfig, serviceEnvironment, sessionEnvironment } from '@ticketing/common';

/** The orders service's environment: the shared variables, the session, the lock window and the sweep. */
export const ordersEnvironment = serviceEnvironment(3003)
  .extend(sessionEnvironment.shape)
  .extend({
    /** How long a buyer holds the ticket while paying: expiresAt = creation + this. */
    ORDER_EXPIRATION_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(15 * 60),
    /** How often the backstop sweep looks for overdue unpaid orders (DESIGN.md rule 7). */
    ORDER_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(30),
    /**
     * How long past expiresAt the sweep waits before cancelling: the expiration service's timer is the
     * normal path, and the sweep must not race it for orders that are merely on time.
     */
    ORDER_SWEEP_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
  });

export type OrdersConfig = z.output<typeof ordersEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadOrdersConfig(env: NodeJS.ProcessEnv = process.env): Readonly<OrdersConfig> {
  return loadConfig(ordersEnvironment, env);
}
