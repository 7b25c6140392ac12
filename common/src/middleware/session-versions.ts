import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { waitUntilRedisReady } from './redis-ready';
import type { Logger } from 'pino';
import { runPeriodically, type PeriodicTask } from '../service/periodic-task';

export interface SessionVersionsOptions {
  /** The Redis every service shares (REDIS_URL). */
  url: string;
  /** First part of every key: the deployment's name (NATS_SUBJECT_PREFIX), or a test's own. */
  keyPrefix: string;
  logger: Logger;
  /**
   * How often this process reads the revocations it has not seen yet: the longest a revoked cookie keeps
   * working here once Redis has the revocation (SESSION_VERSION_CACHE_MS).
   */
  pollMs: number;
}

/** What the verifying middleware needs: the lowest session version still valid for a user. */
export interface SessionVersionCheck {
  /**
   * The version a user's session token must carry at least, or undefined when no revocation is known (no
   * "sign out everywhere" or password change within a session's lifetime). Answered from this process's
   * memory: it never waits and never asks Redis (see {@link SessionVersions}).
   */
  minimumVersion(userId: string): number | undefined;
}

/** How one read of the revocation feed went (what {@link SessionVersions.refresh} resolves to). */
export type RevocationsRefresh =
  /** This process now knows every revocation Redis holds. */
  | 'current'
  /** Redis lost its data (the marker is gone) and auth has not written it again yet: last known kept. */
  | 'awaiting mirror'
  /** Redis did not answer: last known kept. */
  | 'unreachable';

/**
 * Auth's one write per revocation, atomic so that two auth replicas racing cannot leave the feed and the
 * user's key disagreeing. KEYS: the user's version key, the feed. ARGV: user id, version, session lifetime (s).
 *
 * - The user's key keeps the higher of the stored and the given version ("higher version wins") and
 *   (re)starts its lifetime.
 * - The feed (a sorted set) gets one member per user, `<userId>:<version>`, scored by its revision: Redis's
 *   clock in ms, but always above the newest entry, so revisions are unique and in the order the writes
 *   happened. A reader that saw revision r gets everything written after by asking for scores above r,
 *   whatever the writers' clocks or how late their writes arrive.
 * - Revocations older than a session's lifetime leave the feed: every token signed before them has expired.
 */
const RECORD_REVOCATION = `
local current = tonumber(redis.call('GET', KEYS[1]) or '')
local version = tonumber(ARGV[2])
if current and current > version then version = current end
redis.call('SET', KEYS[1], version, 'EX', ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local revision = now
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) >= revision then revision = tonumber(newest[2]) + 1 end
if current then redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. current) end
redis.call('ZADD', KEYS[2], revision, ARGV[1] .. ':' .. version)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[3]) * 1000))
return version`;

/** The feed's expired entries go, by Redis's clock, also when nobody revokes anything for a while. */
const FORGET_EXPIRED_REVOCATIONS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1]) * 1000))`;

/** Feed entries read per round trip. */
const PAGE_SIZE = 5_000;

/** Warn about an unreachable Redis at most this often, not once per poll. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

interface KnownRevocation {
  version: number;
  /** The feed's score for it: this process's map is kept in this order, oldest first. */
  revision: number;
}

/**
 * Session versions, so that a copied cookie stops working after "sign out everywhere" or a password change
 * (docs/rules.md, "Sessions"). Auth owns each user's version in its database and mirrors every raise to the
 * Redis every service shares: the user's key `<prefix>:session-version:<userId>` and one entry in the feed
 * `<prefix>:session-revocations`, both living a session's lifetime ({@link publish}).
 *
 * Every process holds the feed in memory (userId → lowest valid version), loaded whole at start and brought
 * up to date every `pollMs` by one read of the entries after the newest it has seen, so the verifying
 * middleware answers from a Map and a signed-in request never waits on Redis. The map and the poll are the
 * only per-process state; every replica converges on the feed within `pollMs`. The feed holds the
 * revocations of one session lifetime (24 h), one entry per revoked user (about 100 bytes in memory each).
 *
 * When Redis is unreachable the check fails open on the last state this process knew (none: every token is
 * believed), because refusing every signed-in request while Redis restarts would stop the marketplace; a
 * revocation made meanwhile takes effect when Redis is back (auth writes it again). Redis never evicts
 * (`maxmemory-policy noeviction`, which BullMQ needs too), so entries are lost only with the whole data set:
 * the marker key (`<prefix>:session-revocations:mirrored`) goes with them, readers keep what they knew, auth
 * writes every version of the last session lifetime again within seconds ({@link mirrorAll}) with a new
 * marker, and every reader then loads the feed whole again.
 */
export class SessionVersions implements SessionVersionCheck {
  /** Oldest revision first (entries are re-inserted when they change), so expired ones leave from the front. */
  private minimums = new Map<string, KnownRevocation>();
  /** The marker's value when this process last loaded the whole feed; another value means reload. */
  private generation: string | undefined;
  private newestRevision = 0;
  private poller: PeriodicTask | undefined;
  private refreshing: Promise<RevocationsRefresh> | undefined;
  private lastOutageLog = 0;
  private awaitingMirror = false;

  private constructor(
    private readonly redis: Redis,
    private readonly options: SessionVersionsOptions,
    private readonly ownsConnection: boolean,
  ) {}

  /**
   * What a service's `connect` part does: connect with its configuration (keys under its NATS_SUBJECT_PREFIX), load
   * the revocations, poll every SESSION_VERSION_CACHE_MS, and stop on shutdown. Never fails to start for want
   * of Redis: the poll loads the feed once Redis answers.
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
      pollMs: config.SESSION_VERSION_CACHE_MS,
    });
    lifecycle.onStop('session versions', () => versions.close());
    await versions.waitUntilReady();
    await versions.start();
    return versions;
  }

  /** Starts connecting in the background; reads nothing until {@link start}. */
  static connect(options: SessionVersionsOptions): SessionVersions {
    const redis = new Redis(options.url, {
      connectionName: `${options.keyPrefix}-session-versions`,
      // Nothing waits on this connection but the poll and auth's writes: no queue while disconnected, no
      // retries, and a command that hangs (a partition) gives up quickly; the next poll tries again.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(2_000, attempt * 200),
    });
    redis.on('error', () => undefined);
    return new SessionVersions(redis, options, true);
  }

  /** The same connection under another key prefix, with a map and poll of its own (a test app's). */
  scoped(keyPrefix: string, pollMs = this.options.pollMs): SessionVersions {
    return new SessionVersions(this.redis, { ...this.options, keyPrefix, pollMs }, false);
  }

  private key(userId: string): string {
    return `${this.options.keyPrefix}:session-version:${userId}`;
  }

  private get feedKey(): string {
    return `${this.options.keyPrefix}:session-revocations`;
  }

  private get markerKey(): string {
    return `${this.options.keyPrefix}:session-revocations:mirrored`;
  }

  minimumVersion(userId: string): number | undefined {
    return this.minimums.get(userId)?.version;
  }

  /**
   * Loads the feed (once Redis answers) and reads what is new every `pollMs` until {@link stop}. Resolves
   * once the first read was tried; never rejects.
   */
  async start(): Promise<void> {
    if (this.poller) return;
    this.poller = runPeriodically(
      'session revocations',
      this.options.pollMs,
      () => this.refresh(),
      this.options.logger,
    );
    await this.refresh();
  }

  /**
   * One read of the feed, what the poll runs: the entries after the newest this process has seen, or the
   * whole feed after Redis lost its data and auth wrote it again. Concurrent calls share one read. Never
   * rejects: what this process knew stays when Redis cannot answer.
   */
  refresh(): Promise<RevocationsRefresh> {
    this.refreshing ??= this.readFeed().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readFeed(): Promise<RevocationsRefresh> {
    try {
      const head = await this.redis
        .multi()
        .get(this.markerKey)
        .zrange(this.feedKey, 0, 0, 'WITHSCORES')
        .zrange(this.feedKey, -1, -1, 'WITHSCORES')
        .exec();
      const failed = head?.find(([error]) => error);
      if (!head || failed) throw failed?.[0] ?? new Error('session revocations: transaction aborted');
      const marker = head[0]?.[1] as string | null;
      const oldest = scoreOf(head[1]?.[1]);
      const newest = scoreOf(head[2]?.[1]) ?? 0;

      if (marker === null) {
        // Redis lost its data (or auth has not started yet): what is there now is not the whole story.
        if (!this.awaitingMirror && this.generation !== undefined) {
          this.options.logger.warn(
            'session revocations gone from Redis; keeping the known ones until auth writes them again',
          );
        }
        this.awaitingMirror = true;
        return 'awaiting mirror';
      }

      // A new marker means auth wrote the whole feed again; a feed behind what was seen, the same.
      const reload = marker !== this.generation || newest < this.newestRevision;
      const minimums = reload ? new Map<string, KnownRevocation>() : this.minimums;
      if (!reload) {
        // Whatever left the feed has expired (older than a session): it leaves this process too. The map is
        // in revision order, so this stops at the first entry still in the feed.
        for (const [userId, known] of minimums) {
          if (oldest !== undefined && known.revision >= oldest) break;
          minimums.delete(userId);
        }
      }
      let after = reload ? '-inf' : `(${this.newestRevision}`;
      let newestRead = reload ? 0 : this.newestRevision;
      for (;;) {
        const page = await this.redis.zrangebyscore(this.feedKey, after, '+inf', 'WITHSCORES', 'LIMIT', 0, PAGE_SIZE);
        for (let index = 0; index + 1 < page.length; index += 2) {
          const revision = Number(page[index + 1]);
          newestRead = Math.max(newestRead, revision);
          remember(minimums, page[index] as string, revision);
        }
        if (page.length < PAGE_SIZE * 2) break;
        after = `(${newestRead}`;
      }
      this.minimums = minimums;
      this.newestRevision = newestRead;
      if (reload && this.generation !== undefined) {
        this.options.logger.info({ revocations: minimums.size }, 'session revocations loaded again from Redis');
      }
      this.generation = marker;
      this.awaitingMirror = false;
      return 'current';
    } catch (error) {
      if (Date.now() - this.lastOutageLog > OUTAGE_LOG_INTERVAL_MS) {
        this.lastOutageLog = Date.now();
        this.options.logger.warn(
          { err: error },
          'session revocations unreachable; sessions checked against the last known versions',
        );
      }
      return 'unreachable';
    }
  }

  /** Stops polling (the map stays as it is); resolves once a read in progress has finished. */
  async stop(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    await poller?.stop();
    await this.refreshing;
  }

  /**
   * Auth, after committing a user's new version: every service refuses older tokens within `pollMs`. Keeps
   * the higher version when two writes race and resolves to the version kept. Rejects when Redis cannot take
   * it; auth then writes everything again once it can ({@link mirrorAll}).
   */
  async publish(userId: string, version: number, ttlSeconds: number): Promise<number> {
    return Number(
      await this.redis.eval(RECORD_REVOCATION, 2, this.key(userId), this.feedKey, userId, version, ttlSeconds),
    );
  }

  /** Whether Redis still holds the versions auth mirrored (false after Redis lost its data, or before any). */
  async isMirrorComplete(): Promise<boolean> {
    return (await this.redis.exists(this.markerKey)) === 1;
  }

  /** Auth, every few seconds: the feed's entries older than a session's lifetime go; resolves to how many. */
  async forgetExpiredRevocations(ttlSeconds: number): Promise<number> {
    return Number(await this.redis.eval(FORGET_EXPIRED_REVOCATIONS, 1, this.feedKey, ttlSeconds));
  }

  /**
   * Auth: writes every given version (those raised within a session's lifetime; older ones protect nothing)
   * and then a new marker that says the feed is complete, on which every reader loads it whole again.
   */
  async mirrorAll(versions: ReadonlyArray<{ userId: string; version: number; ttlSeconds: number }>): Promise<void> {
    for (let start = 0; start < versions.length; start += 500) {
      const pipeline = this.redis.pipeline();
      for (const { userId, version, ttlSeconds } of versions.slice(start, start + 500)) {
        pipeline.eval(RECORD_REVOCATION, 2, this.key(userId), this.feedKey, userId, version, ttlSeconds);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    }
    await this.redis.set(this.markerKey, `${new Date().toISOString()} ${randomUUID()}`);
  }

  /** Resolves true once connected, or false after `timeoutMs`. */
  async waitUntilReady(timeoutMs = 2_000): Promise<boolean> {
    return waitUntilRedisReady(this.redis, timeoutMs);
  }

  /** Stops polling and closes the connection (on shutdown); a scoped copy leaves the shared connection open. */
  async close(): Promise<void> {
    await this.stop();
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The score of a `ZRANGE … WITHSCORES` reply of one entry, undefined for an empty feed. */
function scoreOf(reply: unknown): number | undefined {
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  const score = Number(reply[1]);
  return Number.isFinite(score) ? score : undefined;
}

/**
 * One feed entry, `<userId>:<version>`, into the map, moved to its end (the newest revision). Only auth writes
 * the feed; an entry that does not parse is skipped (never a refusal of everyone). A user's older entry can
 * outlive its key by a moment, so the higher version is kept.
 */
function remember(minimums: Map<string, KnownRevocation>, member: string, revision: number): void {
  const separator = member.lastIndexOf(':');
  if (separator <= 0) return;
  const userId = member.slice(0, separator);
  const version = Number(member.slice(separator + 1));
  if (!Number.isSafeInteger(version) || version < 0) return;
  const known = minimums.get(userId);
  minimums.delete(userId);
  minimums.set(userId, { version: Math.max(version, known?.version ?? 0), revision });
}
