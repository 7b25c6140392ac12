/// <reference types="cookie-session" preserve="true" />
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { NotAuthorizedError } from '../errors';
import type { SessionVersionCheck } from './session-versions';

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

/** `sv`, the session version, is absent from tokens signed before sessions had versions: those count as 0. */
const tokenSchema = z.object({
  id: z.uuid(),
  email: z.string().min(1),
  sv: z.number().int().min(0).optional(),
});

/** A verified session token: who, and the session version it was issued at. */
export interface SessionToken {
  user: UserPayload;
  sessionVersion: number;
}

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

/** Reads a session token; undefined for a missing, tampered, expired or foreign token. */
export function verifySessionToken(token: unknown, jwtKey: string): SessionToken | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const payload = jwt.verify(token, secretKeyOf(jwtKey), { algorithms: ['HS256'] });
    const parsed = tokenSchema.safeParse(payload);
    if (!parsed.success) return undefined;
    return { user: { id: parsed.data.id, email: parsed.data.email }, sessionVersion: parsed.data.sv ?? 0 };
  } catch {
    return undefined;
  }
}

/** Reads the user from a token; undefined for a missing, tampered, expired or foreign token. */
export function verifyUserToken(token: unknown, jwtKey: string): UserPayload | undefined {
  return verifySessionToken(token, jwtKey)?.user;
}

/**
 * Signs the session token for `user`, valid for `expiresInSeconds`, at the user's current session version
 * (auth's `users.session_version`): raising that version revokes every token signed before.
 */
export function signUserToken(user: UserPayload, jwtKey: string, expiresInSeconds: number, sessionVersion = 0): string {
  return jwt.sign({ id: user.id, email: user.email, sv: sessionVersion }, secretKeyOf(jwtKey), {
    algorithm: 'HS256',
    expiresIn: expiresInSeconds,
  });
}

/**
 * Sets `req.currentUser` from the session cookie's JWT. A bad, tampered, expired or revoked token (its
 * session version below the user's current one, from `versions`) means "signed out", never an error: the
 * visitor simply is not signed in. `versions` answers from the process's memory, so this never waits on
 * Redis (see SessionVersions).
 */
export function currentUser(jwtKey: string, versions: SessionVersionCheck): RequestHandler {
  return (req, _res, next) => {
    const token = verifySessionToken(req.session?.jwt, jwtKey);
    const minimum = token === undefined ? undefined : versions.minimumVersion(token.user.id);
    req.currentUser =
      token !== undefined && (minimum === undefined || token.sessionVersion >= minimum) ? token.user : undefined;
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
