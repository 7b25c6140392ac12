import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface SessionVersionsOptions {
  /** The Redis every service shares (REDIS_URL). */
  url: string;
  /** First part of every key: the deployment's name (NATS_SUBJECT_PREFIX), or a test's own. */
  keyPrefix: string;
  logger: Logger;
  /**
   * How long this process believes a user's session version before asking Redis again: the longest a
   * revoked cookie keeps working here once Redis has the new version (SESSION_VERSION_CACHE_MS).
   */
  cacheMs: number;
  /** Users remembered at most; the least recently fetched go first. */
  maxCachedUsers?: number;
}

/** What the verifying middleware needs: the lowest session version still valid for a user. */
export interface SessionVersionCheck {
  /**
   * The version a user's session token must carry at least, or undefined when no revocation is known (no
   * "sign out everywhere" or password change within a session's lifetime). Never rejects: when Redis cannot
   * answer it is the last value this process knew (see {@link SessionVersions}).
   */
  minimumVersion(userId: string): Promise<number | undefined>;
  /** The same, answered from memory when this process's value is fresh; undefined when it must ask. */
  freshMinimumVersion(userId: string): { minimum: number | undefined } | undefined;
}

/** Keep the higher of the stored and the given version, and (re)start its lifetime: replicas may race. */
const RAISE_VERSION = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then current = wanted end
redis.call('SET', KEYS[1], current, 'EX', ARGV[2])
return current`;

/** Warn about an unreachable Redis at most this often, not once per request. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

interface CachedVersion {
  minimum: number | undefined;
  fetchedAt: number;
}

/**
 * Session versions, so that a copied cookie stops working after "sign out everywhere" or a password change
 * (docs/rules.md, "Sessions"). Auth owns each user's version in its database and mirrors it here, in the
 * Redis every service shares, under `<prefix>:session-version:<userId>` with the session's lifetime as TTL
 * (past it, every token older than the version has expired anyway, so the key may go). Every service's
 * verifying middleware compares the token's version with this one, through a per-process cache of
 * `cacheMs`: the only per-process state, the same in every replica within one cache window.
 *
 * When Redis is unreachable the check fails open on the last value this process knew (none: the token is
 * believed), because refusing every signed-in request while Redis restarts would stop the marketplace;
 * a revocation made meanwhile takes effect when Redis is back (auth writes it again). Redis never evicts
 * (`maxmemory-policy noeviction`, which BullMQ needs too), so keys are lost only with the whole data set:
 * auth then notices the missing marker key (`<prefix>:session-versions:mirrored`) within seconds and writes
 * every version of the last session lifetime again ({@link mirrorAll}).
 */
export class SessionVersions implements SessionVersionCheck {
  private readonly cache = new Map<string, CachedVersion>();
  private readonly inFlight = new Map<string, Promise<number | undefined>>();
  private lastOutageLog = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly options: SessionVersionsOptions,
  ) {}

  /**
   * What a service's index.ts does: connect with its configuration (keys under its NATS_SUBJECT_PREFIX),
   * close on shutdown, and give Redis a moment at start (never failing to start for want of it).
   */
  static async startFor(
    lifecycle: { onStop(name: string, stop: () => Promise<void>): void },
    config: { REDIS_URL: string; NATS_SUBJECT_PREFIX: string; SESSION_VERSION_CACHE_MS: number },
    logger: Logger,
  ): Promise<SessionVersions> {
    const versions = SessionVersions.connect({
      url: config.REDIS_URL,
      keyPrefix: config.NATS_SUBJECT_PREFIX,
      logger,
      cacheMs: config.SESSION_VERSION_CACHE_MS,
    });
    lifecycle.onStop('session versions', () => versions.close());
    await versions.waitUntilReady();
    return versions;
  }

  /** Starts connecting in the background. */
  static connect(options: SessionVersionsOptions): SessionVersions {
    const redis = new Redis(options.url, {
      connectionName: `${options.keyPrefix}-session-versions`,
      // A signed-in request must not wait on an outage: no queue while disconnected, no retries, and a
      // command that hangs (a partition) gives up quickly; the last known value answers instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      retryStrategy: (attempt) => Math.min(2_000, attempt * 200),
    });
    redis.on('error', () => undefined);
    return new SessionVersions(redis, options);
  }

  /** The same connection under another key prefix, with a cache of its own (a test app's). */
  scoped(keyPrefix: string, cacheMs = this.options.cacheMs): SessionVersions {
    return new SessionVersions(this.redis, { ...this.options, keyPrefix, cacheMs });
  }

  private key(userId: string): string {
    return `${this.options.keyPrefix}:session-version:${userId}`;
  }

  private get markerKey(): string {
    return `${this.options.keyPrefix}:session-versions:mirrored`;
  }

  freshMinimumVersion(userId: string): { minimum: number | undefined } | undefined {
    const cached = this.cache.get(userId);
    if (cached === undefined || Date.now() - cached.fetchedAt >= this.options.cacheMs) return undefined;
    return { minimum: cached.minimum };
  }

  minimumVersion(userId: string): Promise<number | undefined> {
    const fresh = this.freshMinimumVersion(userId);
    if (fresh) return Promise.resolve(fresh.minimum);
    // A thousand requests of one user in the same instant ask Redis once.
    let pending = this.inFlight.get(userId);
    if (pending === undefined) {
      pending = this.fetch(userId).finally(() => this.inFlight.delete(userId));
      this.inFlight.set(userId, pending);
    }
    return pending;
  }

  private async fetch(userId: string): Promise<number | undefined> {
    try {
      const stored = await this.redis.get(this.key(userId));
      // Only auth writes these keys; anything but a whole number is treated as no revocation known.
      const parsed = stored === null ? undefined : Number(stored);
      const minimum = parsed !== undefined && Number.isSafeInteger(parsed) ? parsed : undefined;
      this.remember(userId, minimum);
      return minimum;
    } catch (error) {
      if (Date.now() - this.lastOutageLog > OUTAGE_LOG_INTERVAL_MS) {
        this.lastOutageLog = Date.now();
        this.options.logger.warn(
          { err: error },
          'session versions unreachable; sessions checked against the last known versions',
        );
      }
      return this.cache.get(userId)?.minimum;
    }
  }

  private remember(userId: string, minimum: number | undefined): void {
    this.cache.delete(userId);
    this.cache.set(userId, { minimum, fetchedAt: Date.now() });
    const max = this.options.maxCachedUsers ?? 100_000;
    if (this.cache.size > max) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /**
   * Auth, after committing a user's new version: every service refuses older tokens within `cacheMs`.
   * Keeps the higher version when two writes race. Rejects when Redis cannot take it; auth then writes
   * everything again once it can ({@link mirrorAll}).
   */
  async publish(userId: string, version: number, ttlSeconds: number): Promise<void> {
    await this.redis.eval(RAISE_VERSION, 1, this.key(userId), version, ttlSeconds);
  }

  /** Whether Redis still holds the versions auth mirrored (false after Redis lost its data, or before any). */
  async isMirrorComplete(): Promise<boolean> {
    return (await this.redis.exists(this.markerKey)) === 1;
  }

  /**
   * Auth: writes every given version (those raised within a session's lifetime; older ones protect nothing)
   * and then the marker that says the mirror is complete.
   */
  async mirrorAll(versions: ReadonlyArray<{ userId: string; version: number; ttlSeconds: number }>): Promise<void> {
    for (let start = 0; start < versions.length; start += 500) {
      const pipeline = this.redis.pipeline();
      for (const { userId, version, ttlSeconds } of versions.slice(start, start + 500)) {
        pipeline.eval(RAISE_VERSION, 1, this.key(userId), version, ttlSeconds);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    }
    await this.redis.set(this.markerKey, new Date().toISOString());
  }

  /** Resolves true once connected, or false after `timeoutMs`. */
  async waitUntilReady(timeoutMs = 2_000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  /** Closes the connection (on shutdown). */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
