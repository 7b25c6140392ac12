/// <reference types="jest" />
import { randomBytes } from 'node:crypto';
import { SessionVersions } from '../middleware';
import { createTestLogger, redisUrl } from './test-bus';

/**
 * For a test helper module: one Redis connection for session versions for the test file (opened before its
 * tests, closed after), and for every app built from it a key prefix of its own (or the one given, for apps
 * that must see the same versions, as two services of one deployment do) with a cache of `cacheMs`.
 */
export function useTestSessionVersions(): (options?: { keyPrefix?: string; cacheMs?: number }) => SessionVersions {
  let store: SessionVersions | undefined;
  beforeAll(async () => {
    store = SessionVersions.connect({
      url: redisUrl(),
      keyPrefix: 'unused',
      logger: createTestLogger(),
      cacheMs: 5_000,
    });
    await store.waitUntilReady(5_000);
  });
  afterAll(async () => {
    await store?.close();
  });
  return ({ keyPrefix, cacheMs } = {}) => {
    if (!store) throw new Error('session versions used before the test file started');
    return store.scoped(keyPrefix ?? `test_${randomBytes(5).toString('hex')}`, cacheMs);
  };
}
