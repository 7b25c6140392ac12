import type { Express } from 'express';
import type { Logger } from 'pino';
import { EventBus, startListeners, type ListenerDefinition } from '../bus';
import type { ServiceConfig } from '../config';
import { connectDatabase, type Database } from '../database';
import { probeReadiness, type ReadinessProbe } from '../http/readiness';
import { createLogger } from '../logging';
import { startServiceTracing } from '../observability/tracing';
import { UnitOfWork } from '../outbox';
import type { Subject } from '../events';
import { runService, type ServiceLifecycle } from './run-service';

/** What every service's config holds that the core reads (a service without a database omits those two). */
export type CoreConfig = Omit<ServiceConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>;

/** A service's own tables: its Drizzle schema and the folder of its committed migrations. */
export interface DatabaseDeclaration<Schema extends Record<string, unknown>> {
  schema: Schema;
  migrationsFolder: string;
}

/** What a service with a database holds beside its config and logger: the database and its unit of work. */
export interface DatabaseStores<Schema extends Record<string, unknown>> {
  database: Database<Schema>;
  /** Runs a use case's writes and records the events it owes; its relay publishes them. */
  unitOfWork: UnitOfWork;
}

/** The parts the core opens before a service's own: its config, its logger and (if it has one) its database. */
export type ServiceBase<C, Stores> = { config: Readonly<C>; logger: Logger } & Stores;

/** The parts the core opens, as the service's own parts receive them. */
export type ServiceCore<C, Stores> = ServiceBase<C, Stores> & {
  bus: EventBus;
};

/** Anything that runs until stopped: a periodic task, a live feed. */
export interface Stoppable {
  stop(): Promise<void> | void;
}

/**
 * A service, as a declaration of its parts. The core ({@link startService}) opens them in one order for
 * every service; what differs between services is here, each part named:
 *
 * - `connect`: what the service opens beside the core (Redis-backed limits and session versions, a queue,
 *   a Stripe client), each registered with the lifecycle so that it closes on shutdown.
 * - `processState`: every piece of state this process keeps in memory, named, each with why it is right
 *   with two replicas (docs/architecture.md, "Process state"). Nothing of it lives in a module.
 * - `listeners`, `jobs` (periodic tasks), `liveFeeds` (bus subscriptions feeding open streams), `app`.
 *
 * Parts receive `Deps`: the core's parts, what `connect` opened and the process state, in one object.
 */
export interface ServiceParts<C extends CoreConfig, Stores, Connected, State> {
  /** The service's name: its logger's `service`, its bus connection's name, its traces' service. */
  name: string;
  /** Reads and validates the environment (the only read of `process.env`); a bad variable fails the start. */
  loadConfig: () => Readonly<C>;
  /** Opened after tracing, migrated before anything reads it; closed last but tracing. */
  database?: DatabaseDeclaration<Record<string, unknown>>;
  connect?: (core: ServiceCore<C, Stores>, lifecycle: ServiceLifecycle) => Promise<Connected>;
  processState?: (base: ServiceBase<C, Stores> & Connected) => State;
  /** Named checks of `/readyz` beyond the database and the bus (which the core checks when it has them). */
  readinessChecks?: (deps: ServiceCore<C, Stores> & Connected & State) => Record<string, () => Promise<boolean>>;
  listeners?: (deps: ServiceDeps<C, Stores, Connected, State>) => readonly ListenerDefinition<Subject>[];
  /** Durable consumers the service no longer binds: deleted before its listeners bind (see startListeners). */
  retiredDurables?: readonly string[];
  /** Periodic tasks by name, started after the listeners and stopped before them. */
  jobs?: (deps: ServiceDeps<C, Stores, Connected, State>) => Record<string, Stoppable>;
  /**
   * Bus subscriptions handing changes to the streams this process holds open, by name. Started before the
   * server listens; stopped before it closes (open streams would hold its close() for ever; browsers
   * reconnect to another replica).
   */
  liveFeeds?: (deps: ServiceDeps<C, Stores, Connected, State>) => Record<string, Stoppable>;
  /**
   * The HTTP app; it never listens (the core does, tests use supertest) and never sees the bus: a route
   * publishes nothing, its use case records events in the unit of work (docs/rules.md#rule-1). Tests build
   * their app with this part.
   */
  app: (deps: AppDeps<C, Stores, Connected, State>) => Express;
}

/** What a service's parts receive: the core's parts, what `connect` opened, the process state, readiness. */
export type ServiceDeps<C, Stores, Connected, State> = ServiceCore<C, Stores> &
  Connected &
  State & {
    /** What `/readyz` answers; paused listeners resume once it passes (docs/rules.md#rule-6). */
    readiness: ReadinessProbe;
  };

/** What the app part receives: every part but the bus. */
export type AppDeps<C, Stores, Connected, State> = Omit<ServiceDeps<C, Stores, Connected, State>, 'bus'>;

/** A service with its own database (every one but expiration). */
export type DatabaseServiceParts<
  C extends CoreConfig & Pick<ServiceConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>,
  Schema extends Record<string, unknown>,
  Connected,
  State,
> = ServiceParts<C, DatabaseStores<Schema>, Connected, State> & { database: DatabaseDeclaration<Schema> };

/** A service without a database (expiration: its state is in Redis). */
export type BusServiceParts<C extends CoreConfig, Connected, State> = ServiceParts<
  C,
  Record<never, never>,
  Connected,
  State
> & { database?: undefined };

/**
 * Declares a service's parts for {@link startService}, typed: each part sees the core's parts, what
 * `connect` opened and the process state. Tests build their app from the same declaration.
 */
export function defineService<
  C extends CoreConfig & Pick<ServiceConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>,
  Schema extends Record<string, unknown>,
  Connected,
  State,
>(parts: DatabaseServiceParts<C, Schema, Connected, State>): DatabaseServiceParts<C, Schema, Connected, State>;
export function defineService<C extends CoreConfig, Connected, State>(
  parts: BusServiceParts<C, Connected, State>,
): BusServiceParts<C, Connected, State>;
export function defineService<T>(parts: T): T {
  return parts;
}

/**
 * Runs a declared service, owning the boot order once for every service: config and logger, tracing, the
 * database and its migrations, the bus, the outbox relay, what the service connects, its process state,
 * readiness, listeners, jobs, live feeds, then HTTP. SIGTERM or SIGINT stops them in reverse (live feeds,
 * HTTP, jobs, listeners, what the service connected, the relay, the bus, the database, tracing): the
 * listeners stop before the relay, so the events their last effects recorded are still published, and
 * tracing last, so the spans of the shutdown are sent too. A failed start closes what opened and exits 1.
 */
export function startService<C extends CoreConfig, Stores, Connected, State>(
  parts: ServiceParts<C, Stores, Connected, State>,
): Promise<void> {
  const config = parts.loadConfig();
  const logger = createLogger({ service: parts.name, level: config.LOG_LEVEL });

  return runService(logger, async (lifecycle) => {
    startServiceTracing(lifecycle, config, parts.name, logger);

    let stores: Partial<DatabaseStores<Record<string, unknown>>> = {};
    if (parts.database) {
      const { DATABASE_URL, DATABASE_POOL_SIZE } = config as unknown as Pick<
        ServiceConfig,
        'DATABASE_URL' | 'DATABASE_POOL_SIZE'
      >;
      const database = await connectDatabase({
        url: DATABASE_URL,
        poolSize: DATABASE_POOL_SIZE,
        schema: parts.database.schema,
        migrationsFolder: parts.database.migrationsFolder,
        logger,
      });
      lifecycle.onStop('database', () => database.close());
      stores = { database, unitOfWork: new UnitOfWork(database.db, { logger }) };
    }

    const bus = await EventBus.connectWithConfig(config, parts.name, logger);
    lifecycle.onStop('bus', () => bus.close());

    if (stores.unitOfWork) {
      const { unitOfWork } = stores;
      unitOfWork.relay.start(bus);
      lifecycle.onStop('outbox relay', () => unitOfWork.relay.stop());
    }

    const core = { config, logger, ...stores, bus } as ServiceCore<C, Stores>;
    const connected = parts.connect ? await parts.connect(core, lifecycle) : ({} as Connected);
    const state = parts.processState ? parts.processState({ ...core, ...connected }) : ({} as State);
    const ready = { ...core, ...connected, ...state };

    // Before the listeners: a listener whose dependency is down pauses until this passes (docs/rules.md#rule-6).
    const readiness = probeReadiness({
      database: stores.database,
      bus,
      checks: parts.readinessChecks?.(ready),
    });
    const deps = { ...ready, readiness } as ServiceDeps<C, Stores, Connected, State>;

    if (parts.listeners) {
      const listeners = await startListeners(bus, parts.listeners(deps), {
        retiredDurables: parts.retiredDurables,
        readiness,
      });
      lifecycle.onStop('listeners', () => listeners.stop());
    }

    for (const [name, job] of Object.entries(parts.jobs?.(deps) ?? {})) {
      lifecycle.onStop(name, async () => job.stop());
    }

    const feeds = Object.entries(parts.liveFeeds?.(deps) ?? {});

    await lifecycle.listen(parts.app(deps), { host: config.HOST, port: config.PORT });
    // Registered after the server, so stopped before it.
    for (const [name, feed] of feeds) lifecycle.onStop(name, async () => feed.stop());
  });
}
