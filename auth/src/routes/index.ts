import { Router } from 'express';
import type { Outbox, SharedRateLimits } from '@ticketing/common';
import type { AuthConfig } from '../config';
import type { SessionVersionMirror } from '../accounts/session-version-mirror';
import { signUpRouter } from './sign-up';
import { signInRouter } from './sign-in';
import { signOutRouter } from './sign-out';
import { currentUserRouter } from './current-user';
import { updateCurrentUserRouter } from './update-current-user';

export function authRoutes(
  outbox: Outbox,
  sessions: SessionVersionMirror,
  config: AuthConfig,
  rateLimits: SharedRateLimits,
): Router {
  return Router().use(
    signUpRouter(outbox, config, rateLimits),
    signInRouter(outbox, config, rateLimits),
    signOutRouter(outbox.db, sessions),
    currentUserRouter(),
    updateCurrentUserRouter(outbox, sessions, config, rateLimits),
  );
}
