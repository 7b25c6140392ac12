import { Client, type QueryConfig } from 'pg';

/**
 * What `countRoundTrips` saw: one entry per query sent to PostgreSQL, its text on one line, after `[name] ` for
 * a named (prepared) statement.
 */
export interface RoundTrips<T> {
  result: T;
  statements: string[];
}

/**
 * Runs `work` and lists every query any node-postgres client of this process sent meanwhile (a text with
 * several statements, sent at once, is one round trip). For tests that hold a path to its number of round
 * trips: run nothing else against the database at the same time.
 */
export async function countRoundTrips<T>(work: () => Promise<T>): Promise<RoundTrips<T>> {
  const statements: string[] = [];
  const original = Client.prototype.query;
  // Every pool's client goes through this one method, whichever protocol the query uses.
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const [config] = args;
    const { text, name } = typeof config === 'string' ? { text: config, name: undefined } : (config as QueryConfig);
    statements.push(`${name ? `[${name}] ` : ''}${(text ?? '').replace(/\s+/g, ' ').trim()}`);
    return (original as (...innerArgs: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await work(), statements };
  } finally {
    Client.prototype.query = original;
  }
}
