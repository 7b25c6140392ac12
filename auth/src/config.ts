import { z } from 'zod';
import { loadConfig, serviceEnvironment, sessionEnvironment } from '@ticketing/common';

/** The auth service's environment: the shared variables, the session, and the sign-in rate limit. */
export const authEnvironment = serviceEnvironment(3001)
  .extend(sessionEnvironment.shape)
  .extend({
    /** Sign-up and sign-in attempts a client may make per minute before getting 429. */
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  });

export type AuthConfig = z.output<typeof authEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): Readonly<AuthConfig> {
  return loadConfig(authEnvironment, env);
}
