import type { Redis } from 'ioredis';

/**
 * Resolves true once `redis` is connected, or false after `timeoutMs`: a service waits a moment at start for
 * the Redis it shares (rate limits, session versions), but never fails to start for want of it.
 */
export function waitUntilRedisReady(redis: Redis, timeoutMs = 2_000): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
