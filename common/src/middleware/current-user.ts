/// <reference types="cookie-session" preserve="true" />
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { NotAuthorizedError } from '../errors';

/** Who is signed in, as carried in the session JWT. */
export interface UserPayload {
  id: string;
  email: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `currentUser` when the session holds a valid, unexpired token. */
      currentUser?: UserPayload;
      /** The JSON body's exact bytes, for signature checks (set by the app's JSON parser). */
      rawBody?: Buffer;
    }
  }
}

const userPayloadSchema = z.object({ id: z.uuid(), email: z.string().min(1) });

/**
 * The key as a KeyObject, made once per key. Given a string, jsonwebtoken builds a KeyObject on every call
 * (`createSecretKey`), which was a tenth of a millisecond of every signed-in request's CPU.
 */
const secretKeys = new Map<string, KeyObject>();
function secretKeyOf(jwtKey: string): KeyObject {
  let key = secretKeys.get(jwtKey);
  if (key === undefined) {
    key = createSecretKey(Buffer.from(jwtKey, 'utf8'));
    secretKeys.set(jwtKey, key);
  }
  return key;
}

/** Reads the user from a token; undefined for a missing, tampered, expired or foreign token. */
export function verifyUserToken(token: unknown, jwtKey: string): UserPayload | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const payload = jwt.verify(token, secretKeyOf(jwtKey), { algorithms: ['HS256'] });
    const user = userPayloadSchema.safeParse(payload);
    return user.success ? { id: user.data.id, email: user.data.email } : undefined;
  } catch {
    return undefined;
  }
}

/** Signs the session token for `user`, valid for `expiresInSeconds`. */
export function signUserToken(user: UserPayload, jwtKey: string, expiresInSeconds: number): string {
  return jwt.sign({ id: user.id, email: user.email }, secretKeyOf(jwtKey), {
    algorithm: 'HS256',
    expiresIn: expiresInSeconds,
  });
}

/**
 * Sets `req.currentUser` from the session cookie's JWT. A bad, tampered or expired token means
 * "signed out", never an error: the visitor simply is not signed in.
 */
export function currentUser(jwtKey: string): RequestHandler {
  return (req, _res, next) => {
    req.currentUser = verifyUserToken(req.session?.jwt, jwtKey);
    next();
  };
}

/** 401 unless someone is signed in. */
export const requireAuth: RequestHandler = (req, _res, next) => {
  if (!req.currentUser) throw new NotAuthorizedError();
  next();
};

/** The signed-in user of a route behind `requireAuth`. */
export function signedInUser(req: Express.Request): UserPayload {
  if (!req.currentUser) throw new NotAuthorizedError();
  return req.currentUser;
}
