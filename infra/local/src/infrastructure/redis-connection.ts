import Redis from 'ioredis';

/**
 * A one-off connection to the Redis at `url` (`redis://` or `rediss://`, with its user, password and
 * database), connected, or `undefined` when nothing answers there. It never reconnects or queues a command
 * while disconnected: a probe must learn "down" at once, and a cleanup must fail rather than wait for a server
 * that went away. Errors reach the caller as rejected commands; the caller disconnects it.
 */
export async function connectRedis(url: string, timeoutMs: number): Promise<Redis | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // No INFO before the first command and no CLIENT SETINFO: one round trip is all a probe needs.
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  // The same failures also reject the pending command or connect(), which is where they are handled.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return redis;
  } catch {
    // Already closed, and nothing to call disconnect() for: it would arm a 2 s timer waiting for a 'close'
    // event that came and went, holding the process open.
    return undefined;
  }
}
