import type { Express } from 'express';
import {
  createServiceApp,
  admissionSettings,
  sessionSettings,
  type Logger,
  type Outbox,
  type ReadinessProbe,
} from '@ticketing/common';
import { type TicketsConfig } from './config';
import { ticketsRoutes } from './routes';

export interface TicketsAppDependencies {
  config: TicketsConfig;
  outbox: Outbox;
  logger: Logger;
  readiness: ReadinessProbe;
}

/** The tickets service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, logger, readiness }: TicketsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: sessionSettings(config),
    admission: admissionSettings(config),
    readiness,
    routes: ticketsRoutes(outbox, { resalePriceCap: config.RESALE_PRICE_CAP }),
  });
}
