/// <reference types="jest" />
import { randomBytes } from 'node:crypto';
import { SessionVersions } from '../middleware';
import { createTestLogger, redisUrl } from './test-bus';

/**
 * For a test helper module: one Redis connection for session versions for the test file (opened before its
 * tests, closed after), and for every app built from it a key prefix of its own (or the one given, for apps
 * that must see the same versions, as two services of one deployment do), read every `pollMs` as a
 * service's process does; every poll stops after the file.
 */
export function useTestSessionVersions(): (options?: { keyPrefix?: string; pollMs?: number }) => SessionVersions {
  let store: SessionVersions | undefined;
  const started: SessionVersions[] = [];
  beforeAll(async () => {
    store = SessionVersions.connect({
      url: redisUrl(),
      keyPrefix: 'unused',
      logger: createTestLogger(),
      pollMs: 5_000,
    });
    await store.waitUntilReady(5_000);
  });
  afterAll(async () => {
    await Promise.all(started.map((versions) => versions.stop()));
    await store?.close();
  });
  return ({ keyPrefix, pollMs } = {}) => {
    if (!store) throw new Error('session versions used before the test file started');
    const versions = store.scoped(keyPrefix ?? `test_${randomBytes(5).toString('hex')}`, pollMs);
    started.push(versions);
    // Its first read is in flight while the test goes on, as in a service that has just started.
    void versions.start();
    return versions;
  };
}
