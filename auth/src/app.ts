import type { Express } from 'express';
import { createServiceApp, type Logger, type Outbox } from '@ticketing/common';
import { cookieSecure, type AuthConfig } from './config';
import { authRoutes } from './routes';

export interface AuthAppDependencies {
  config: AuthConfig;
  outbox: Outbox;
  logger: Logger;
  readiness: () => Promise<Record<string, boolean>>;
}

/** The auth service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, logger, readiness }: AuthAppDependencies): Express {
  return createServiceApp({
    logger,
    session: {
      jwtKey: config.JWT_KEY,
      cookieSecure: cookieSecure(config),
      maxAgeMs: config.SESSION_TTL_SECONDS * 1000,
    },
    readiness,
    routes: authRoutes(outbox, config),
  });
}
