import type { RequestHandler, Response } from 'express';

/**
 * What every answer of a service says to caches unless its route says otherwise: keep nothing. Most answers
 * depend on who asks (the session cookie), and an edge cache must never hand one visitor's answer to another.
 */
export const NO_STORE = 'no-store';

/** The longest any answer may be shared for: the marketplace promises that a change shows within a second. */
export const MAX_SHARED_MAX_AGE_SECONDS = 1;

/** Sets `Cache-Control: no-store` on every answer; a route that may be shared opts in with {@link allowSharedCaching}. */
export const noStoreByDefault: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', NO_STORE);
  next();
};

/**
 * Lets shared caches (the local gateway, ingress-nginx) keep this answer for `seconds` and hand it to anyone
 * who asks for the same URL: `public, max-age=0, s-maxage=N`. Browsers keep nothing (`max-age=0`), so a reload
 * always asks the edge. Only for answers that do not depend on who asks: never after reading the session.
 * Call it right before sending a 200; an error answer keeps `no-store`.
 */
export function allowSharedCaching(res: Response, seconds = MAX_SHARED_MAX_AGE_SECONDS): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SHARED_MAX_AGE_SECONDS) {
    throw new RangeError(`s-maxage must be a whole number of seconds from 1 to ${MAX_SHARED_MAX_AGE_SECONDS}`);
  }
  res.setHeader('Cache-Control', `public, max-age=0, s-maxage=${seconds}`);
}
