import { Client, Pool } from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';

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
}

/** Opens a pool (after running migrations when a folder is given). */
export async function connectDatabase<Schema extends Record<string, unknown> = Record<string, never>>(
  options: ConnectDatabaseOptions<Schema>,
): Promise<Database<Schema>> {
  if (options.migrationsFolder) await runMigrations(options.url, options.migrationsFolder, options.logger);
  const pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle database connection failed'));
  const db = drizzle(pool, { schema: options.schema ?? ({} as Schema) });
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
    close: () => pool.end(),
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
 * True for PostgreSQL's unique violation (23505), of `constraint` when given. Drizzle wraps driver errors
 * (DrizzleQueryError), so the pg error may sit in the `cause` chain rather than on the error itself.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (candidate.code === '23505') return constraint === undefined || candidate.constraint === constraint;
    current = candidate.cause;
  }
  return false;
}
