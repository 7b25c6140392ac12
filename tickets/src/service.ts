import { defineService } from '@ticketing/common/service';
import { liveStreamSettings } from '@ticketing/common/live';
import { SessionVersions } from '@ticketing/common/middleware';
import { buildApp } from './app';
import { loadTicketsConfig } from './config';
import { migrationsFolder } from './db/migrations-folder';
import * as schema from './db/schema';
import { ticketsListeners } from './events';
import { LiveOwnedPasses, startOwnedPassFeed } from './passes/live-owned-passes';
import { PassSigner } from './passes/pass-signer';
import { createLiveTickets, startTicketFeed } from './tickets/live-tickets';

/**
 * The tickets service's parts; index.ts starts them (common's startService owns the order), tests build
 * their app from the same declaration. tickets publishes ticket.created / ticket.updated; the lock and
 * unlock listeners record theirs here too.
 */
export const ticketsService = defineService({
  name: 'tickets',
  loadConfig: () => loadTicketsConfig(),
  database: { schema, migrationsFolder },
  connect: async ({ config, logger }, lifecycle) => ({
    // A key that is not an Ed25519 private key stops the start with its reason.
    passSigner: PassSigner.fromEnvironment(config.PASS_SIGNING_KEY),
    // Every session revocation of the last session lifetime, held in this process's memory (the middleware
    // asks no one) and brought up to date from Redis every SESSION_VERSION_CACHE_MS, the longest a revoked
    // cookie works here; the last known state stays while Redis is away. Polling stops on shutdown.
    sessionVersions: await SessionVersions.startFor(lifecycle, config, logger),
  }),
  processState: ({ config, database, logger }) => {
    // Right with two replicas (docs/architecture.md, "Process state"): every replica hears every change.
    // The ticket views this process's open streams show, fed from the bus (liveFeeds below)…
    const liveTickets = createLiveTickets(database.db, liveStreamSettings(config), logger);
    // …and the My tickets streams of passes' new and previous holders, within the same bounds.
    const liveOwnedPasses = new LiveOwnedPasses(liveTickets, liveStreamSettings(config));
    return { liveTickets, liveOwnedPasses };
  },
  listeners: ({ unitOfWork }) => ticketsListeners(unitOfWork),
  // One subscription per process hands ticket changes to the streams its clients hold open, one pass changes.
  liveFeeds: ({ bus, liveTickets, liveOwnedPasses, logger }) => {
    const feed = startTicketFeed(bus, liveTickets, logger);
    const ownedFeed = startOwnedPassFeed(bus, liveOwnedPasses, logger);
    return {
      'live streams': {
        stop: () => {
          feed.stop();
          ownedFeed.stop();
          liveTickets.close();
          liveOwnedPasses.close();
        },
      },
    };
  },
  app: (deps) => buildApp(deps),
});
