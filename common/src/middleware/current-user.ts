/// <reference types="cookie-session" preserve="true" />
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
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

/**
 * Tokens this process has verified, by their exact text: a signed-in visitor sends the same token with every
 * request, and checking its signature and claims again was a tenth of a routed request's CPU. A hit counts only
 * under the key it was verified with and only until the token's `exp`. Only good tokens enter, so a stranger's
 * forgeries cannot fill it (each costs a verification, as without it); past {@link VERIFIED_TOKENS_KEPT} the
 * oldest is dropped. Revocation is not cached here: the session version is checked on every request.
 */
const verifiedTokens = new Map<string, { jwtKey: string; session: SessionToken; exp: number }>();
const VERIFIED_TOKENS_KEPT = 10_000;

/** Reads a session token; undefined for a missing, tampered, expired or foreign token. */
export function verifySessionToken(token: unknown, jwtKey: string): SessionToken | undefined {
  if (typeof token !== 'string') return undefined;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const known = verifiedTokens.get(token);
  if (known !== undefined && known.jwtKey === jwtKey) {
    if (known.exp > nowSeconds) return known.session;
    verifiedTokens.delete(token);
    return undefined;
  }
  const payload = verifyHs256(token, secretKeyOf(jwtKey), nowSeconds);
  if (payload === undefined) return undefined;
  const parsed = tokenSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const session: SessionToken = Object.freeze({
    user: Object.freeze({ id: parsed.data.id, email: parsed.data.email }),
    sessionVersion: parsed.data.sv ?? 0,
  });
  // A token not valid before some time would need that checked again at each hit; ours carry no `nbf`.
  if (payload.nbf === undefined) {
    if (verifiedTokens.size >= VERIFIED_TOKENS_KEPT) verifiedTokens.delete(verifiedTokens.keys().next().value!);
    verifiedTokens.set(token, { jwtKey, session, exp: payload.exp as number });
  }
  return session;
}

/**
 * The claims of a compact JWT signed with HS256 under `key` and valid at `nowSeconds`, else undefined.
 * Every signed-in request of every service runs this, so it is the few steps the token needs and no more
 * (jsonwebtoken's general verify was about a twentieth of a request's CPU): the signature first, compared
 * in constant time, over exactly the bytes sent; then the header must say HS256 (a token of another
 * algorithm, `none` included, is not ours); then `exp` must be a number in the future (our tokens always
 * carry one) and `nbf`, when present, past.
 */
export function verifyHs256(token: string, key: KeyObject, nowSeconds: number): Record<string, unknown> | undefined {
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  if (headerEnd <= 0 || payloadEnd <= headerEnd + 1 || token.indexOf('.', payloadEnd + 1) !== -1) return undefined;
  const signature = Buffer.from(token.slice(payloadEnd + 1), 'base64url');
  const expected = createHmac('sha256', key).update(token.slice(0, payloadEnd)).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
  const header = parseJsonPart(token.slice(0, headerEnd));
  if (header?.alg !== 'HS256') return undefined;
  const claims = parseJsonPart(token.slice(headerEnd + 1, payloadEnd));
  if (claims === undefined || typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return undefined;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > nowSeconds)) return undefined;
  return claims;
}

function parseJsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
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
