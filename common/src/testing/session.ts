import { randomUUID } from 'node:crypto';
import { signUserToken, type SessionVersionCheck, type UserPayload } from '../middleware';
import { SESSION_COOKIE } from '../http';

/** The JWT key tests sign with; services under test are built with the same. */
export const TEST_JWT_KEY = 'test-jwt-key-that-is-long-enough';
/** The Ed25519 pass key (32 bytes, base64url) tickets signs pass codes with under test: never a real one. */
export const TEST_PASS_SIGNING_KEY = 'dGVzdC1wYXNzLXNpZ25pbmcta2V5LW5vdC1hLXJlYWw';

/**
 * A `Cookie` header for a signed-in user, exactly as cookie-session writes it (base64 JSON holding the
 * JWT), for routes that need a caller without going through the auth service.
 */
export function sessionCookieFor(
  user: Partial<UserPayload> = {},
  {
    jwtKey = TEST_JWT_KEY,
    expiresInSeconds = 3600,
    sessionVersion = 0,
  }: { jwtKey?: string; expiresInSeconds?: number; sessionVersion?: number } = {},
): { cookie: string; user: UserPayload } {
  const signedIn: UserPayload = { id: user.id ?? randomUUID(), email: user.email ?? `${randomUUID()}@example.com` };
  const jwt = signUserToken(signedIn, jwtKey, expiresInSeconds, sessionVersion);
  const value = Buffer.from(JSON.stringify({ jwt })).toString('base64');
  return { cookie: `${SESSION_COOKIE}=${value}`, user: signedIn };
}

/**
 * Session versions for an app whose test revokes no session: every token is current. Apps that must see
 * revocations use real ones on Redis ({@link useTestSessionVersions}).
 */
export const noRevokedSessions: SessionVersionCheck = {
  minimumVersion: () => undefined,
};
