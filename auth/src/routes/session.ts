import type { Request } from 'express';
import { signUserToken, type UserPayload } from '@ticketing/common';
import type { AuthConfig } from '../config';

/** Signs the user in for this browser: the JWT goes into the cookie-session cookie. */
export function startSession(req: Request, user: UserPayload, config: AuthConfig): void {
  req.session = { jwt: signUserToken(user, config.JWT_KEY, config.SESSION_TTL_SECONDS) };
}
