import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type Pool } from 'pg';
import { connectDatabase, runMigrations, type Database } from '../database';
import { waitFor } from './wait-for';

/** The server the tests use, as set by the test global setup (reused or started). */
export function adminDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `work` on a connection to the server's admin database (CREATE/DROP DATABASE, ALTER DATABASE). */
export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A template name that changes whenever the migrations change, so a stale template is never used. */
function templateNameFor(migrationsFolder: string): string {
  const hash = createHash('sha256');
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(entry.name).update(readFileSync(full));
    }
  };
  walk(migrationsFolder);
  return `ticketing_template_${hash.digest('hex').slice(0, 20)}`;
}

/** Creates (once, under an advisory lock shared by parallel workers) a database with the migrations applied. */
async function ensureTemplate(migrationsFolder: string): Promise<string> {
  const template = templateNameFor(migrationsFolder);
  await withAdminClient(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return;
      // Build under a temporary name and rename, so a half-migrated template is never visible.
      const building = `${template}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building}`);
      await runMigrations(databaseUrl(adminDatabaseUrl(), building), migrationsFolder);
      await client.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
  });
  return template;
}

export interface TestDatabase<Schema extends Record<string, unknown>> extends Database<Schema> {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated PostgreSQL database for one test file: a copy of a migrated template
 * (`CREATE DATABASE … TEMPLATE`, ~100 ms), so files never see each other's rows.
 */
export async function createTestDatabase<Schema extends Record<string, unknown> = Record<string, never>>(
  migrationsFolder: string,
  schema?: Schema,
): Promise<TestDatabase<Schema>> {
  const template = await ensureTemplate(migrationsFolder);
  const name = `ticketing_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(async (client) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        // 55006: the template is briefly in use (another worker copying it); try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  const url = databaseUrl(adminDatabaseUrl(), name);
  const database = await connectDatabase({ url, schema, poolSize: 5 });
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Makes database `name` refuse connections and ends the ones it has, as an outage does, until the
 * returned function lets it accept them again. Call that in a `finally`: a database left closed breaks
 * every later test.
 */
export async function refuseConnections(name: string): Promise<() => Promise<void>> {
  await withAdminClient(async (client) => {
    await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  });
  return () =>
    withAdminClient((client) => client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)).then(() => undefined);
}

/**
 * Resolves once `sessions` connections of the pool's database are waiting for a lock (PostgreSQL's view of
 * them, `pg_stat_activity`): a test holding a row lock knows the transaction it started is now queued behind it.
 */
export async function waitUntilWaitingForLock(pool: Pool, sessions = 1): Promise<void> {
  await waitFor(async () => {
    const { rows } = await pool.query<{ waiting: number }>(
      `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows[0]?.waiting !== sessions) throw new Error(`${rows[0]?.waiting ?? 0} waiting for a lock, not ${sessions}`);
  });
}
