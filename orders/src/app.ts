import type { Express } from 'express';
import { createServiceApp, sessionSettings, type Logger, type Outbox, type ReadinessProbe } from '@ticketing/common';
import { type OrdersConfig } from './config';
import { ordersRoutes } from './routes';

export interface OrdersAppDependencies {
  config: OrdersConfig;
  outbox: Outbox;
  logger: Logger;
  readiness: ReadinessProbe;
}

/** The orders service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, logger, readiness }: OrdersAppDependencies): Express {
  return createServiceApp({
    logger,
    session: sessionSettings(config),
    readiness,
    routes: ordersRoutes(outbox, config),
  });
}
