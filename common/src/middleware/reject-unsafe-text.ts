import type { RequestHandler } from 'express';
import { BadRequestError } from '../errors';

/**
 * A NUL character (PostgreSQL text cannot hold it: a 22021 error) or a UTF-16 surrogate without its pair
 * (it cannot be encoded as UTF-8 at all, and would be stored as U+FFFD, silently changed).
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const UNSAFE_TEXT_MESSAGE = 'Text must not contain NUL characters or unpaired surrogates';

/** Deeper than any body we accept; a deeper one is refused rather than walked. */
const MAX_DEPTH = 32;

/** The path of the first string (or key) in `value` that holds unsafe text, or undefined. */
export function findUnsafeText(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return UNSAFE_TEXT.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_DEPTH) return path;
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (UNSAFE_TEXT.test(key)) return path || 'body';
    const found = findUnsafeText(child, childPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses, with a 400 naming the field, any request whose JSON body or query string carries text no
 * service can store faithfully. One place for every route, so no route can forget it and no such string
 * ever reaches PostgreSQL (where it would be a 500) or an event.
 */
export const rejectUnsafeText: RequestHandler = (req, _res, next) => {
  const field = findUnsafeText(req.body, '') ?? findUnsafeText(req.query, '');
  if (field !== undefined) throw new BadRequestError(UNSAFE_TEXT_MESSAGE, field || undefined);
  next();
};
