import {
  EventBus,
  Outbox,
  SharedRateLimits,
  connectDatabase,
  createLogger,
  probeReadiness,
  runPeriodically,
  runService,
  SessionVersions,
  startServiceTracing,
} from '@ticketing/common';
import { buildApp } from './app';
import { SessionVersionMirror } from './accounts/session-version-mirror';
import { loadAuthConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';

const config = loadAuthConfig();
/** How often auth checks that Redis still holds the session versions (its marker key) and writes them again if not. */
const SESSION_MIRROR_CHECK_MS = 5_000;
const logger = createLogger({ service: 'auth', level: config.LOG_LEVEL });

void runService(logger, async (lifecycle) => {
  // First, so that it stops last and the spans of the shutdown are sent too.
  startServiceTracing(lifecycle, config, 'auth', logger);

  const database = await connectDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    schema,
    migrationsFolder,
    logger,
  });
  lifecycle.onStop('database', () => database.close());

  const bus = await EventBus.connectWithConfig(config, 'auth', logger);
  lifecycle.onStop('bus', () => bus.close());

  // auth publishes user.created / user.updated and listens to nothing.
  const outbox = new Outbox(database.db, { logger });
  outbox.startRelay(bus);
  lifecycle.onStop('outbox relay', () => outbox.stopRelay());

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
  const mirrorSync = runPeriodically(
    'session version mirror',
    SESSION_MIRROR_CHECK_MS,
    () => sessionMirror.syncIfNeeded(),
    logger,
  );
  lifecycle.onStop('session version mirror', () => mirrorSync.stop());

  const readiness = probeReadiness({ database, bus });
  await lifecycle.listen(buildApp({ config, outbox, logger, readiness, sessionVersions, sessionMirror, rateLimits }), {
    host: config.HOST,
    port: config.PORT,
  });
});
