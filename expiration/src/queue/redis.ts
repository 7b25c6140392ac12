import { Redis } from 'ioredis';
import type { Logger } from '@ticketing/common/logging';

export interface RedisConnectionOptions {
  url: string;
  /** Shown in Redis' `CLIENT LIST`: who is connected. */
  connectionName: string;
  logger: Logger;
  /**
   * For a BullMQ worker: its commands wait out an outage (BullMQ requires `maxRetriesPerRequest: null`
   * for workers). Otherwise (the queue the listeners add to, the readiness probe) a command fails at
   * once while Redis is unreachable (BullMQ's "failing fast when Redis is down"), so the listener naks
   * and JetStream redelivers later instead of a handler hanging for the whole outage.
   */
  forWorker: boolean;
  /** How long to wait for the first connection before giving up. */
  connectTimeoutMs?: number;
}

/** Where a Redis URL points, without its credentials: for logs and errors. */
export function describeRedisUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/**
 * Connects to Redis and resolves once it answers. ioredis keeps reconnecting on its own afterwards, for
 * as long as the process lives; every connection error is logged rather than thrown.
 */
export async function connectRedis({
  url,
  connectionName,
  logger,
  forWorker,
  connectTimeoutMs = 30_000,
}: RedisConnectionOptions): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName,
    maxRetriesPerRequest: forWorker ? null : 1,
    enableOfflineQueue: forWorker,
  });
  const where = describeRedisUrl(url);
  // Without a listener ioredis prints every reconnect failure to stderr itself.
  redis.on('error', (error: Error) => logger.warn({ err: error, redis: where, connectionName }, 'Redis error'));

  let lastError: Error | undefined;
  const rememberError = (error: Error) => void (lastError = error);
  redis.on('error', rememberError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `Redis at ${where} not reachable after ${connectTimeoutMs} ms: ${lastError?.message ?? 'no answer'}`,
          ),
        );
      }, connectTimeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    redis.disconnect();
    throw error;
  } finally {
    redis.off('error', rememberError);
  }
  return redis;
}

/** Redis answers a PING within `timeoutMs`: what `/readyz` reports. */
export async function isRedisReachable(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((answer) => answer === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection after its pending replies (QUIT), or at once if it is not connected. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    // Not connected (or already closing): nothing is waiting for a reply, so just drop it.
    redis.disconnect();
  }
}
