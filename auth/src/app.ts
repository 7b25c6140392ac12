import type { Express } from 'express';
import {
  createServiceApp,
  admissionSettings,
  sessionSettings,
  type Logger,
  type Outbox,
  type ReadinessProbe,
  type SharedRateLimits,
} from '@ticketing/common';
import { type AuthConfig } from './config';
import { authRoutes } from './routes';

export interface AuthAppDependencies {
  config: AuthConfig;
  outbox: Outbox;
  logger: Logger;
  readiness: ReadinessProbe;
  rateLimits: SharedRateLimits;
}

/** The auth service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, logger, readiness, rateLimits }: AuthAppDependencies): Express {
  return createServiceApp({
    logger,
    session: sessionSettings(config),
    admission: admissionSettings(config),
    readiness,
    routes: authRoutes(outbox, config, rateLimits),
  });
}
