import type { Request } from 'express';
import { signUserToken } from '@ticketing/common/middleware';
import type { SignedInAccount } from '../accounts/account-view';
import type { AuthConfig } from '../config';

/** Signs the user in for this browser: the JWT, at the account's session version, goes into the cookie. */
export function startSession(req: Request, account: SignedInAccount, config: AuthConfig): void {
  req.session = {
    jwt: signUserToken(account.user, config.JWT_KEY, config.SESSION_TTL_SECONDS, account.sessionVersion),
  };
}
