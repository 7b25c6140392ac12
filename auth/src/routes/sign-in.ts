import { Router } from 'express';
import { perClientAddress, validateRequest, type SharedRateLimits } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { User } from '@ticketing/common/api';
import { signIn } from '../accounts/sign-in';
import type { AuthConfig } from '../config';
import { emailField, suppliedPasswordField } from './validation';
import { startSession } from './session';

export function signInRouter(unitOfWork: UnitOfWork, config: AuthConfig, rateLimits: SharedRateLimits): Router {
  return Router().post(
    '/api/users/signin',
    rateLimits.limit({
      name: 'auth-signin',
      points: config.AUTH_RATE_LIMIT_PER_MINUTE,
      windowSeconds: 60,
      key: perClientAddress,
    }),
    emailField(),
    suppliedPasswordField(),
    validateRequest,
    async (req, res) => {
      const account = await signIn(unitOfWork, req.body.email, req.body.password);
      startSession(req, account, config);
      res.status(200).json(account.user satisfies User);
    },
  );
}
