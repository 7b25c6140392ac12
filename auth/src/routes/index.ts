import { Router } from 'express';
import type { UnitOfWork } from '@ticketing/common/outbox';
import type { SharedRateLimits } from '@ticketing/common/middleware';
import type { AuthConfig } from '../config';
import type { SessionVersionMirror } from '../accounts/session-version-mirror';
import { signUpRouter } from './sign-up';
import { signInRouter } from './sign-in';
import { signOutRouter } from './sign-out';
import { currentUserRouter } from './current-user';
import { updateCurrentUserRouter } from './update-current-user';

export function authRoutes(
  unitOfWork: UnitOfWork,
  sessions: SessionVersionMirror,
  config: AuthConfig,
  rateLimits: SharedRateLimits,
): Router {
  return Router().use(
    signUpRouter(unitOfWork, config, rateLimits),
    signInRouter(unitOfWork, config, rateLimits),
    signOutRouter(unitOfWork.db, sessions),
    currentUserRouter(),
    updateCurrentUserRouter(unitOfWork, sessions, config, rateLimits),
  );
}
