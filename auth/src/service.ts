import { defineService, runPeriodically } from '@ticketing/common/service';
import { SessionVersions, SharedRateLimits } from '@ticketing/common/middleware';
import { buildApp } from './app';
import { SessionVersionMirror } from './accounts/session-version-mirror';
import { loadAuthConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';

/** How often auth checks that Redis still holds the session versions (its marker key) and writes them again if not. */
const SESSION_MIRROR_CHECK_MS = 5_000;

/**
 * The auth service's parts; index.ts starts them (common's startService owns the order), tests build their
 * app from the same declaration. auth publishes user.created / user.updated and listens to nothing.
 */
export const authService = defineService({
  name: 'auth',
  loadConfig: () => loadAuthConfig(),
  database: { schema, migrationsFolder },
  connect: async ({ config, database, logger }, lifecycle) => {
    // Abuse limits shared with the other replicas; they stay open (and say so) while Redis is away.
    const rateLimits = await SharedRateLimits.startFor(lifecycle, config, logger);
    // Every session revocation of the last session lifetime, held in this process's memory (the middleware
    // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
    // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
    const sessionVersions = await SessionVersions.startFor(lifecycle, config, logger);
    // Redis's copy of the session versions, made good every few seconds after a failed write or a Redis that
    // lost its data (this process's own "behind" flag; see SessionVersionMirror).
    const sessionMirror = new SessionVersionMirror(database.db, sessionVersions, config.SESSION_TTL_SECONDS, logger);
    await sessionMirror.syncIfNeeded();
    return { rateLimits, sessionVersions, sessionMirror };
  },
  jobs: ({ sessionMirror, logger }) => ({
    'session version mirror': runPeriodically(
      'session version mirror',
      SESSION_MIRROR_CHECK_MS,
      () => sessionMirror.syncIfNeeded(),
      logger,
    ),
  }),
  app: (deps) => buildApp(deps),
});
