import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { TooManyRequestsError } from '../errors';

export interface RateLimitOptions {
  windowMs: number;
  /** Requests per client (IP, as seen through `trust proxy`) per window. */
  limit: number;
}

/**
 * Limits requests per client and answers 429 with the envelope. Counts live in this process; with
 * several replicas each keeps its own, so the effective limit is per replica.
 */
export function rateLimiter({ windowMs, limit }: RateLimitOptions): RequestHandler {
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new TooManyRequestsError()),
  });
}
