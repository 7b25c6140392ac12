import { ensureInfrastructure, type RunningInfrastructure } from './infrastructure';
import { defaultDataDir } from './repo-root';

/** Where setup leaves its handle for teardown: both run in Jest's main process. */
export const TEST_INFRASTRUCTURE_KEY = Symbol.for('@ticketing/local-stack/test-infrastructure');

/** The handle setup shares with teardown, counting how many setups are waiting for a teardown. */
export interface SharedTestInfrastructure {
  infrastructure: RunningInfrastructure;
  users: number;
}

type GlobalWithHandle = typeof globalThis & {
  [TEST_INFRASTRUCTURE_KEY]?: SharedTestInfrastructure;
};

/**
 * Jest `globalSetup`: makes PostgreSQL, NATS and Redis available (reused or started under `<repo>/.data`)
 * and exports their URLs as `DATABASE_URL`, `NATS_URL` and `REDIS_URL`, which the workers inherit.
 * Several Jest projects may each run it: later calls reuse the first handle, and teardown stops things only
 * when the last of them is done.
 */
export default async function globalSetup(): Promise<void> {
  const shared = globalThis as GlobalWithHandle;
  const existing = shared[TEST_INFRASTRUCTURE_KEY];
  if (existing) {
    existing.users += 1;
    exportUrls(existing.infrastructure);
    return;
  }
  const infrastructure = await ensureInfrastructure({
    dataDir: defaultDataDir(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  shared[TEST_INFRASTRUCTURE_KEY] = { infrastructure, users: 1 };
  exportUrls(infrastructure);
}

function exportUrls(infrastructure: RunningInfrastructure): void {
  process.env.DATABASE_URL = infrastructure.databaseUrl;
  process.env.NATS_URL = infrastructure.natsUrl;
  process.env.REDIS_URL = infrastructure.redisUrl;
}
