import type { RequestHandler } from 'express';
import { NotFoundError } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** True for a canonical UUID string. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * 404 for a path id that cannot exist (not a UUID), before any query runs: a malformed id is simply
 * an unknown resource, never a 500 from the database.
 */
export function requireUuidParam(name = 'id'): RequestHandler {
  return (req, _res, next) => {
    if (!isUuid(req.params[name])) throw new NotFoundError();
    next();
  };
}
