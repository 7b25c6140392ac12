/// <reference types="jest" />
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SharedRateLimits } from '../middleware';
import { createTestLogger, redisUrl } from './test-bus';

const opened: SharedRateLimits[] = [];

/**
 * Shared rate limits on the real Redis under a key prefix of their own, so no two test apps count
 * together. Close them after the test file with {@link closeTestRateLimits}.
 */
export async function createTestRateLimits(
  options: { url?: string; logger?: Logger; keyPrefix?: string } = {},
): Promise<SharedRateLimits> {
  const limits = SharedRateLimits.connect({
    url: options.url ?? redisUrl(),
    keyPrefix: options.keyPrefix ?? `test_${randomBytes(5).toString('hex')}`,
    logger: options.logger ?? createTestLogger(),
  });
  opened.push(limits);
  await limits.waitUntilReady(options.url ? 200 : 5_000);
  return limits;
}

/** Closes every store {@link createTestRateLimits} opened in this test file: `afterAll(closeTestRateLimits)`. */
export async function closeTestRateLimits(): Promise<void> {
  await Promise.all(opened.splice(0).map((limits) => limits.close()));
}

/**
 * For a test helper module: one Redis connection for the test file (opened before its tests, closed
 * after), and a fresh key prefix for every app built from it, so no two apps count together.
 */
export function useTestRateLimits(): () => SharedRateLimits {
  let store: SharedRateLimits | undefined;
  beforeAll(async () => {
    store = await createTestRateLimits();
  });
  afterAll(closeTestRateLimits);
  return () => {
    if (!store) throw new Error('rate limits used before the test file started');
    return store.scoped(`test_${randomBytes(5).toString('hex')}`);
  };
}
