import type { Express } from 'express';
import { createServiceApp, type ReadinessProbe } from '@ticketing/common/http';
import { admissionSettings, sessionSettings } from '@ticketing/common/config';
import { type Logger } from '@ticketing/common/logging';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { type SessionVersionCheck, type SharedRateLimits } from '@ticketing/common/middleware';
import { type AuthConfig } from './config';
import { authRoutes } from './routes';
import type { SessionVersionMirror } from './accounts/session-version-mirror';

export interface AuthAppDependencies {
  config: AuthConfig;
  unitOfWork: UnitOfWork;
  logger: Logger;
  readiness: ReadinessProbe;
  /** Users' current session versions (Redis, through a short cache named in service.ts). */
  sessionVersions: SessionVersionCheck;
  /** Where a raised session version goes (Redis), made good every few seconds by service.ts's job. */
  sessionMirror: SessionVersionMirror;
  rateLimits: SharedRateLimits;
}

/** The auth service's HTTP app; it never listens (the service core does, tests use supertest). */
export function buildApp({
  config,
  unitOfWork,
  logger,
  readiness,
  sessionVersions,
  sessionMirror,
  rateLimits,
}: AuthAppDependencies): Express {
  return createServiceApp({
    logger,
    // Auth signs visitors in and out: its routes write the session cookie.
    session: { ...sessionSettings(config), versions: sessionVersions, signsIn: true },
    admission: admissionSettings(config),
    readiness,
    routes: authRoutes(unitOfWork, sessionMirror, config, rateLimits),
  });
}
