import { z } from 'zod';
import { loadConfig, serviceEnvironment, sessionEnvironment } from '@ticketing/common';

/** The tickets service's environment: the shared variables and the session it reads. */
export const ticketsEnvironment = serviceEnvironment(3002)
  .extend(sessionEnvironment.shape)
  .extend({
    /** How long a sign-in lasts (cookie and JWT alike); the same value auth signs with. */
    SESSION_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(24 * 60 * 60),
  });

export type TicketsConfig = z.output<typeof ticketsEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadTicketsConfig(env: NodeJS.ProcessEnv = process.env): Readonly<TicketsConfig> {
  return loadConfig(ticketsEnvironment, env);
}

/** Secure cookies unless said otherwise; on by default in production only. */
export function cookieSecure(config: TicketsConfig): boolean {
  return config.COOKIE_SECURE ?? config.NODE_ENV === 'production';
}
