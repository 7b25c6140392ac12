/**
 * Read access to the services' databases, for the invariants and the quiet-period checks. The harness
 * reads what the services wrote, as a person investigating would; it never writes there.
 */
import { Pool, type QueryResultRow } from 'pg';

import type { ChaosStack, ServiceWithDatabase } from './chaos-stack';

export class ServiceDatabases {
  private readonly pools = new Map<ServiceWithDatabase, Pool>();

  constructor(private readonly chaos: ChaosStack) {}

  /** Runs one read-only query on a service's database; rejects when it cannot be reached. */
  async query<Row extends QueryResultRow>(
    service: ServiceWithDatabase,
    text: string,
    values: unknown[] = [],
  ): Promise<Row[]> {
    const result = await this.poolOf(service).query<Row>(text, values);
    return result.rows;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.end().catch(() => undefined)));
    this.pools.clear();
  }

  private poolOf(service: ServiceWithDatabase): Pool {
    let pool = this.pools.get(service);
    if (pool === undefined) {
      pool = new Pool({
        connectionString: this.chaos.databaseUrl(service),
        max: 2,
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: 10_000,
        // A sample must not hang on a database that a fault is taking away.
        query_timeout: 15_000,
      });
      // A database outage terminates our idle connections too; the pool replaces them, nothing to do.
      pool.on('error', () => undefined);
      this.pools.set(service, pool);
    }
    return pool;
  }
}
