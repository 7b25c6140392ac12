import { Router, type Express } from 'express';
import { createServiceApp, type ReadinessProbe } from '@ticketing/common/http';
import { type Logger } from '@ticketing/common/logging';

export interface ExpirationAppDependencies {
  logger: Logger;
  readiness: ReadinessProbe;
}

/**
 * The expiration service's HTTP app: only `/healthz` and `/readyz` (no routes, no session: nobody signs
 * in here). It never listens; the service core does, tests use supertest.
 */
export function buildApp({ logger, readiness }: ExpirationAppDependencies): Express {
  return createServiceApp({ logger, readiness, routes: Router() });
}
