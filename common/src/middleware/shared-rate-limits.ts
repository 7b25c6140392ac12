import { Redis } from 'ioredis';
import { waitUntilRedisReady } from './redis-ready';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { TooManyRequestsError } from '../errors';

export interface SharedRateLimitsOptions {
  /** The Redis every replica shares (REDIS_URL). */
  url: string;
  /** First part of every key, so deployments (and test runs) sharing a Redis never count together. */
  keyPrefix: string;
  logger: Logger;
}

export interface LimitDefinition {
  /** Names the counter in Redis and in log lines: `orders-create`. */
  name: string;
  /** Requests allowed per window, per key. */
  points: number;
  windowSeconds: number;
  /** Who is counted: the signed-in user's id, the client's IP. */
  key(req: Request): string;
  /** The 429's message. */
  message?: string;
}

/** Warn about an unreachable store at most this often per limit, not once per request. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/**
 * Abuse limits that hold across replicas: counters live in Redis (rate-limiter-flexible), so a client
 * spreading requests over every replica is counted once. When Redis is unreachable the limits fail open:
 * the request goes through and the outage is logged, because refusing every buyer while Redis restarts
 * would be worse than a minute without limits. A limit never answers 500.
 */
export class SharedRateLimits {
  private constructor(
    private readonly redis: Redis,
    private readonly options: SharedRateLimitsOptions,
  ) {}

  /**
   * What a service's `connect` part does: connect with its configuration (REDIS_URL; keys under its
   * NATS_SUBJECT_PREFIX, the deployment's name), close on shutdown, and give Redis a moment at start.
   */
  static async startFor(
    lifecycle: { onStop(name: string, stop: () => Promise<void>): void },
    config: { REDIS_URL: string; NATS_SUBJECT_PREFIX: string },
    logger: Logger,
  ): Promise<SharedRateLimits> {
    const limits = SharedRateLimits.connect({ url: config.REDIS_URL, keyPrefix: config.NATS_SUBJECT_PREFIX, logger });
    lifecycle.onStop('rate limits', () => limits.close());
    await limits.waitUntilReady();
    return limits;
  }

  /** Starts connecting in the background; a Redis that is down now only means open limits until it is back. */
  static connect(options: SharedRateLimitsOptions): SharedRateLimits {
    const redis = new Redis(options.url, {
      connectionName: `${options.keyPrefix}-rate-limits`,
      // No queue while disconnected and no per-command retries: a limit check must not wait on an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep reconnecting, never faster than every 2 s.
      retryStrategy: (attempt) => Math.min(2_000, attempt * 200),
    });
    // Connection errors are expected during an outage; each limit logs its own fail-open line instead.
    redis.on('error', () => undefined);
    return new SharedRateLimits(redis, options);
  }

  /** The same connection under another key prefix: counters of their own (each test app gets some). */
  scoped(keyPrefix: string): SharedRateLimits {
    return new SharedRateLimits(this.redis, { ...this.options, keyPrefix });
  }

  /** Middleware that counts each request under `definition.key(req)` and answers 429 past the limit. */
  limit(definition: LimitDefinition): RequestHandler {
    const limiter = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.options.keyPrefix}:rate-limit:${definition.name}`,
      points: definition.points,
      duration: definition.windowSeconds,
      // Fail at once while disconnected, rather than waiting on a command that cannot run.
      rejectIfRedisNotReady: true,
    });
    let lastOutageLog = 0;
    return async (req, res, next) => {
      try {
        const result = await limiter.consume(definition.key(req));
        res.set('RateLimit', `limit=${definition.points}, remaining=${result.remainingPoints}`);
        next();
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          next(new TooManyRequestsError(definition.message, outcome.msBeforeNext / 1000));
          return;
        }
        if (Date.now() - lastOutageLog > OUTAGE_LOG_INTERVAL_MS) {
          lastOutageLog = Date.now();
          this.options.logger.warn(
            { err: outcome, limit: definition.name },
            'rate limit store unreachable; limit open',
          );
        }
        next();
      }
    };
  }

  /**
   * Resolves true once connected, or false after `timeoutMs`: a service waits a moment at start so its
   * first requests are counted, but never fails to start for want of Redis (the limits are open meanwhile).
   */
  async waitUntilReady(timeoutMs = 2_000): Promise<boolean> {
    return waitUntilRedisReady(this.redis, timeoutMs);
  }

  /** Closes the connection (on shutdown). */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Counts requests per signed-in user; put it after `requireAuth`. */
export const perUser = (req: Request): string => req.currentUser?.id ?? `ip:${req.ip ?? 'unknown'}`;

/** Counts requests per client address, as seen through `trust proxy`. */
export const perClientAddress = (req: Request): string => req.ip ?? 'unknown';
