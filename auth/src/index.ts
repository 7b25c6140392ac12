import {
  EventBus,
  Outbox,
  SharedRateLimits,
  connectDatabase,
  createLogger,
  probeReadiness,
  runService,
  startServiceTracing,
} from '@ticketing/common';
import { buildApp } from './app';
import { loadAuthConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';

const config = loadAuthConfig();
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

  const readiness = probeReadiness({ database, bus });
  await lifecycle.listen(buildApp({ config, outbox, logger, readiness, rateLimits }), {
    host: config.HOST,
    port: config.PORT,
  });
});
