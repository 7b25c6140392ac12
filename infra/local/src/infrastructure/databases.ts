import { Client } from 'pg';

import { describeServer } from './addresses';
import { errorMessage, InfrastructureError } from './errors';
import { PROBE_TIMEOUT_MS } from './probes';
import { connectRedis } from './redis-connection';

/**
 * Creates database `name` on the server at `adminUrl` unless it exists, and returns its URL (same
 * credentials, host and options; only the path differs).
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      try {
        // CREATE DATABASE cannot run in a transaction, so two callers can both see "missing" and both
        // create: the loser gets a unique violation on pg_database (23505), or duplicate_database (42P04)
        // if the winner committed before it checked. Either way the database exists, which is all we want.
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/**
 * Drops database `name` on the server at `adminUrl` if it exists, closing any connection still open to it
 * (`WITH (FORCE)`): a test run's databases must go even when a service it stopped left a socket behind.
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the same server as `serverUrl`. */
export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

const DELETE_MATCHING_KEYS =
  "local keys = redis.call('KEYS', ARGV[1]) for _, key in ipairs(keys) do redis.call('DEL', key) end return #keys";

/**
 * Deletes every key matching `pattern` (a Redis glob, e.g. `bull:e2e_ab12-order-expiration:*`) in the
 * database `redisUrl` names, in one server-side script, and returns how many went. For tests that leave a
 * queue of their own behind: KEYS is fine on a development server, never on a production one.
 */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<number> {
  const fail = (problem: string): InfrastructureError =>
    new InfrastructureError(
      `could not delete Redis keys ${pattern} at ${describeServer(new URL(redisUrl), 6379)}: ${problem}`,
    );
  const redis = await connectRedis(redisUrl, PROBE_TIMEOUT_MS);
  if (redis === undefined) throw fail('cannot connect');
  try {
    // SELECT of the URL's database is sent on connect; its refusal would otherwise go unnoticed.
    const database = new URL(redisUrl).pathname.replace(/^\//, '');
    if (database !== '') await redis.select(database);
    return Number(await redis.eval(DELETE_MATCHING_KEYS, 0, pattern));
  } catch (error) {
    throw fail(errorMessage(error));
  } finally {
    redis.disconnect();
  }
}
