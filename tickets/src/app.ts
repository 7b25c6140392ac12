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
import type { LiveTickets } from './tickets/live-tickets';

export interface TicketsAppDependencies {
  config: TicketsConfig;
  outbox: Outbox;
  logger: Logger;
  readiness: ReadinessProbe;
  /** The live streams of this process (fed from the bus by index.ts). */
  liveTickets: LiveTickets;
}

/** The tickets service's HTTP app; it never listens (index.ts does, tests use supertest). */
export function buildApp({ config, outbox, logger, readiness, liveTickets }: TicketsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: sessionSettings(config),
    admission: admissionSettings(config),
    readiness,
    routes: ticketsRoutes(outbox, liveTickets, { resalePriceCap: config.RESALE_PRICE_CAP }),
  });
}
