import { Client, Pool } from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import { observeDatabasePool } from '../observability/metrics';

/** A database handle or a transaction: what query functions accept, so they compose inside use cases. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = PgDatabase<PgQueryResultHKT, any>;

/** A service's database: the Drizzle handle over a pool, and how to close it. */
export interface Database<Schema extends Record<string, unknown> = Record<string, never>> {
  db: NodePgDatabase<Schema>;
  pool: Pool;
  /** `SELECT 1` answers: what `/readyz` reports. */
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ConnectDatabaseOptions<Schema extends Record<string, unknown>> {
  url: string;
  schema?: Schema;
  /** Folder of committed drizzle-kit migrations, applied before the pool is handed out. */
  migrationsFolder?: string;
  logger?: Logger;
  poolSize?: number;
  /** How long a request waits for a connection before it fails (and answers 503). */
  connectionTimeoutMs?: number;
}

/** Opens a pool (after running migrations when a folder is given). */
export async function connectDatabase<Schema extends Record<string, unknown> = Record<string, never>>(
  options: ConnectDatabaseOptions<Schema>,
): Promise<Database<Schema>> {
  if (options.migrationsFolder) await runMigrations(options.url, options.migrationsFolder, options.logger);
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Without it a request waits forever for a database that does not answer; with it the request gets
    // a 503 and the caller may retry.
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle database connection failed'));
  // The pool listens only to its idle clients. One that loses its connection while checked out, between two
  // statements of a transaction (a database restarting, an outage ending its sessions), would emit 'error'
  // with nobody listening and end the process. Heard here, its next statement fails instead, the transaction
  // with it, and the caller's retry or 503 follows; the pool drops the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.logger?.warn({ err: error }, 'database connection lost while in use'));
  });
  const db = drizzle(pool, { schema: options.schema ?? ({} as Schema) });
  // Its connections in use, idle and waited for are read at each scrape of /metrics.
  const stopObserving = observeDatabasePool(pool);
  return {
    db,
    pool,
    async isReachable() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => {
      stopObserving();
      return pool.end();
    },
  };
}

/** Same key in every service: replicas of one service never migrate at the same time. */
const MIGRATION_LOCK_KEY = 7_204_611_001;

/**
 * Applies committed migrations under a session advisory lock, so that two replicas starting together
 * do not both try to create the same tables.
 */
export async function runMigrations(url: string, migrationsFolder: string, logger?: Logger): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const started = Date.now();
    await migrate(drizzle(client), { migrationsFolder });
    logger?.info({ ms: Date.now() - started }, 'database migrations applied');
  } finally {
    await client.end();
  }
}

/**
 * Walks an error and its `cause` chain: Drizzle wraps driver errors (DrizzleQueryError), so the pg error
 * may sit below the error a query threw.
 */
function* causeChain(error: unknown): Generator<{ code?: unknown; constraint?: unknown; message?: unknown }> {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    yield current as { code?: unknown; constraint?: unknown; message?: unknown };
    current = (current as { cause?: unknown }).cause;
  }
}

/** The SQLSTATE of a PostgreSQL error (anywhere in the cause chain), or undefined. */
export function postgresErrorCode(error: unknown): string | undefined {
  for (const candidate of causeChain(error)) {
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate.code;
  }
  return undefined;
}

/** True for PostgreSQL's unique violation (23505), of `constraint` when given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (const candidate of causeChain(error)) {
    if (candidate.code === '23505') return constraint === undefined || candidate.constraint === constraint;
  }
  return false;
}

/**
 * True for a value PostgreSQL cannot take (SQLSTATE class 22, data exception: a number out of range, a
 * malformed date or uuid, a NUL byte in text): the request was wrong, not the server.
 */
export function isDataException(error: unknown): boolean {
  return postgresErrorCode(error)?.startsWith('22') ?? false;
}

/**
 * True for a transaction PostgreSQL aborted because of another one, not because of what it did: a deadlock
 * victim (40P01) or a serialisation failure (40001). Nothing was committed, and the same transaction run
 * again normally succeeds (Outbox.transaction does so).
 */
export function isTransientConflict(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code === '40P01' || code === '40001';
}

/** Socket-level failures of the connection to the database. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** Messages of pg and pg-pool for a connection lost or never made; they carry no code. */
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i;

/**
 * True when the database could not be reached or went away mid-request: the server is down or
 * restarting, refuses connections (`ALLOW_CONNECTIONS false`, too many clients), or the connection broke.
 * Nothing was committed then, so the request may be sent again: a 503, not a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const candidate of causeChain(error)) {
    const code = typeof candidate.code === 'string' ? candidate.code : undefined;
    if (code && NETWORK_CODES.has(code)) return true;
    // 08: connection exception; 57P01–57P03: admin shutdown, crash shutdown, cannot connect now;
    // 53300: too many connections.
    if (code && (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300')) return true;
    // 55000 is a wide class; this message is the database refusing new connections.
    if (
      code === '55000' &&
      typeof candidate.message === 'string' &&
      /not currently accepting connections/.test(candidate.message)
    ) {
      return true;
    }
    if (typeof candidate.message === 'string' && LOST_CONNECTION.test(candidate.message)) return true;
  }
  return false;
}
