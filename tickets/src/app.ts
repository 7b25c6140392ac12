import type { Express } from 'express';
import { createServiceApp, type ReadinessProbe } from '@ticketing/common/http';
import { admissionSettings, sessionSettings } from '@ticketing/common/config';
import { type Logger } from '@ticketing/common/logging';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { type SessionVersionCheck } from '@ticketing/common/middleware';
import { type TicketsConfig } from './config';
import { ticketsRoutes } from './routes';
import type { LiveTickets } from './tickets/live-tickets';
import type { LiveOwnedPasses } from './passes/live-owned-passes';
import type { PassSigner } from './passes/pass-signer';

export interface TicketsAppDependencies {
  config: TicketsConfig;
  unitOfWork: UnitOfWork;
  logger: Logger;
  readiness: ReadinessProbe;
  /** Users' current session versions (Redis, through a short cache named in service.ts). */
  sessionVersions: SessionVersionCheck;
  /** The live streams of this process (fed from the bus: service.ts's live feed). */
  liveTickets: LiveTickets;
  /** Signs pass codes with PASS_SIGNING_KEY (service.ts builds it once at start). */
  passSigner: PassSigner;
  /** The My tickets streams of this process (fed from `pass.issued` on the bus: service.ts's live feed). */
  liveOwnedPasses: LiveOwnedPasses;
}

/** The tickets service's HTTP app; it never listens (the service core does, tests use supertest). */
export function buildApp({
  config,
  unitOfWork,
  logger,
  readiness,
  sessionVersions,
  liveTickets,
  passSigner,
  liveOwnedPasses,
}: TicketsAppDependencies): Express {
  return createServiceApp({
    logger,
    session: { ...sessionSettings(config), versions: sessionVersions },
    admission: admissionSettings(config),
    readiness,
    routes: ticketsRoutes(
      unitOfWork,
      liveTickets,
      { resalePriceCap: config.RESALE_PRICE_CAP, checkinWindowHours: config.CHECKIN_WINDOW_HOURS },
      { passSigner, liveOwnedPasses },
    ),
  });
}
