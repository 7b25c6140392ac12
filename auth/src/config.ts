import { z } from 'zod';
import { loadConfig, rateLimitEnvironment, serviceEnvironment, sessionEnvironment } from '@ticketing/common/config';

/** The auth service's environment: the shared variables, the session, and the abuse limits. */
export const authEnvironment = serviceEnvironment(3001)
  .extend(sessionEnvironment.shape)
  .extend(rateLimitEnvironment.shape)
  .extend({
    /** Sign-up and sign-in attempts a client (IP) may make per minute, across replicas, before getting 429. */
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /** Account changes (each one a password guess) a signed-in user may attempt per minute before 429. */
    ACCOUNT_UPDATE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(5),
  });

export type AuthConfig = z.output<typeof authEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): Readonly<AuthConfig> {
  return loadConfig(authEnvironment, env);
}
