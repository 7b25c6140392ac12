import { z } from 'zod';
import { loadConfig, serviceEnvironment } from '@ticketing/common/config';

/** Timers the worker runs at once unless EXPIRATION_WORKER_CONCURRENCY says otherwise. */
export const DEFAULT_WORKER_CONCURRENCY = 50;

/**
 * The expiration service's environment: the shared variables without a database (its only state is the
 * timers, kept in Redis), plus Redis and the queue name.
 */
export const expirationEnvironment = serviceEnvironment(3005)
  .omit({ DATABASE_URL: true, DATABASE_POOL_SIZE: true })
  .extend({
    /** Redis holding the BullMQ queue of timers (AOF and `maxmemory-policy noeviction` in production). */
    REDIS_URL: z.url({ protocol: /^rediss?$/ }),
    /** The BullMQ queue of timers; tests use one of their own per file so runs never share jobs. */
    EXPIRATION_QUEUE: z
      .string()
      // BullMQ builds Redis keys as `bull:<queue>:…`: a ':' would break them.
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('order-expiration'),
    /**
     * Timers the worker runs at once. Each is one publish, so many can be in flight: a flash sale's thousand
     * reservations run out within the same second or two, and ten at a time left the last ones waiting.
     */
    EXPIRATION_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(DEFAULT_WORKER_CONCURRENCY),
  });

export type ExpirationConfig = z.output<typeof expirationEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadExpirationConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ExpirationConfig> {
  return loadConfig(expirationEnvironment, env);
}
