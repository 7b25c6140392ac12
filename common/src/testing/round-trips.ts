import { Client } from 'pg';

/** What `countRoundTrips` saw: one entry per query sent to PostgreSQL, its text first line. */
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
    const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
    statements.push((text ?? '').replace(/\s+/g, ' ').trim());
    return (original as (...innerArgs: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await work(), statements };
  } finally {
    Client.prototype.query = original;
  }
}
