import { TEST_INFRASTRUCTURE_KEY, type SharedTestInfrastructure } from './test-global-setup';

/** Jest `globalTeardown`: stops what the matching setup started, once the last project is done. */
export default async function globalTeardown(): Promise<void> {
  const shared = globalThis as typeof globalThis & {
    [TEST_INFRASTRUCTURE_KEY]?: SharedTestInfrastructure;
  };
  const handle = shared[TEST_INFRASTRUCTURE_KEY];
  if (!handle) return;
  handle.users -= 1;
  if (handle.users > 0) return;
  delete shared[TEST_INFRASTRUCTURE_KEY];
  await handle.infrastructure.stop();
}
