import type { RequestHandler } from 'express';
import { verifySessionToken, type SessionVersionCheck, type UserPayload } from '../middleware';

/** The session cookie's name, the same in every service so one sign-in works across all of them. */
export const SESSION_COOKIE = 'session';

/** What reading a session needs: the key its JWT is signed with, and the users' current session versions. */
export interface SessionSettings {
  jwtKey: string;
  versions: SessionVersionCheck;
}

/**
 * The signed-in user of a `Cookie` header, as cookie-session and `currentUser` together would find it (the
 * `session` cookie is base64 JSON holding `jwt`), or undefined. For a path that answers before the shared
 * middleware reads the session (see EarlyAnswer); anything it cannot read is left to that middleware.
 */
export function userOfSessionCookie(
  header: string | undefined,
  { jwtKey, versions }: SessionSettings,
): UserPayload | undefined {
  const value = cookieValue(header, SESSION_COOKIE);
  if (value === undefined) return undefined;
  let jwt: unknown;
  try {
    jwt = (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt?: unknown } | null)?.jwt;
  } catch {
    return undefined;
  }
  const token = verifySessionToken(jwt, jwtKey);
  if (token === undefined) return undefined;
  const minimum = versions.minimumVersion(token.user.id);
  return minimum === undefined || token.sessionVersion >= minimum ? token.user : undefined;
}

/**
 * Sets `req.currentUser` from the session cookie, as cookie-session and `currentUser` together do, for a
 * service that never writes the session (only auth signs in and out): no cookie jar, no `req.session`, no
 * `Set-Cookie`. A bad, tampered, expired or revoked token means "signed out", never an error.
 */
export function currentUserOfCookie(settings: SessionSettings): RequestHandler {
  return (req, _res, next) => {
    req.currentUser = userOfSessionCookie(req.headers.cookie, settings);
    next();
  };
}

/** The first cookie named `name` in a `Cookie` header (`a=1; session=…`), undecoded. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const prefix = `${name}=`;
  for (let start = 0; start < header.length;) {
    while (header[start] === ' ') start += 1;
    const end = header.indexOf(';', start);
    const pair = end === -1 ? header.slice(start) : header.slice(start, end);
    if (pair.startsWith(prefix)) return pair.slice(prefix.length).trim();
    if (end === -1) return undefined;
    start = end + 1;
  }
  return undefined;
}
