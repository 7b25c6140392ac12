import {
  EventBus,
  Outbox,
  connectDatabase,
  createLogger,
  liveStreamSettings,
  probeReadiness,
  runService,
  SessionVersions,
  startListeners,
  startServiceTracing,
} from '@ticketing/common';
import { buildApp } from './app';
import { loadTicketsConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { ticketsListeners } from './events';
import { createLiveTickets, startTicketFeed } from './tickets/live-tickets';
import { PassSigner } from './passes/pass-signer';

const config = loadTicketsConfig();
const logger = createLogger({ service: 'tickets', level: config.LOG_LEVEL });

void runService(logger, async (lifecycle) => {
  // First, so that it stops last and the spans of the shutdown are sent too.
  startServiceTracing(lifecycle, config, 'tickets', logger);

  const database = await connectDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    schema,
    migrationsFolder,
    logger,
  });
  lifecycle.onStop('database', () => database.close());

  const bus = await EventBus.connectWithConfig(config, 'tickets', logger);
  lifecycle.onStop('bus', () => bus.close());

  // Publishes ticket.created / ticket.updated; the lock and unlock listeners record theirs here too.
  const outbox = new Outbox(database.db, { logger });
  outbox.startRelay(bus);
  lifecycle.onStop('outbox relay', () => outbox.stopRelay());

  // Before the listeners: a listener whose dependency is down pauses until this passes (docs/rules.md#rule-6).
  const readiness = probeReadiness({ database, bus });
  // Stopped before the relay (last registered, first stopped), so events they record still get relayed.
  const listeners = await startListeners(bus, ticketsListeners(outbox), { readiness });
  lifecycle.onStop('listeners', () => listeners.stop());

  // One subscription per process hands ticket changes to the streams its clients hold open.
  const liveTickets = createLiveTickets(database.db, liveStreamSettings(config), logger);
  const feed = startTicketFeed(bus, liveTickets, logger);

  // Every session revocation of the last session lifetime, held in this process's memory (the middleware
  // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
  // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
  const sessionVersions = await SessionVersions.startFor(lifecycle, config, logger);

  // The pass key: signs the codes, and reads the codes the door sends.
  const passSigner = PassSigner.fromEnvironment(config.PASS_SIGNING_KEY);

  await lifecycle.listen(buildApp({ config, outbox, logger, readiness, sessionVersions, liveTickets, passSigner }), {
    host: config.HOST,
    port: config.PORT,
  });
  // Registered after the server, so stopped before it: open streams would hold its close() for ever.
  // Browsers reconnect to another replica.
  lifecycle.onStop('live streams', async () => {
    feed.stop();
    liveTickets.close();
  });
});
