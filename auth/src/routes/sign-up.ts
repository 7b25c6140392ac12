import { Router } from 'express';
import { perClientAddress, validateRequest, type SharedRateLimits } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { User } from '@ticketing/common/api';
import { signUp } from '../accounts/sign-up';
import type { AuthConfig } from '../config';
import { emailField, newPasswordField } from './validation';
import { startSession } from './session';

export function signUpRouter(unitOfWork: UnitOfWork, config: AuthConfig, rateLimits: SharedRateLimits): Router {
  return Router().post(
    '/api/users/signup',
    rateLimits.limit({
      name: 'auth-signup',
      points: config.AUTH_RATE_LIMIT_PER_MINUTE,
      windowSeconds: 60,
      key: perClientAddress,
    }),
    emailField(),
    newPasswordField(),
    validateRequest,
    async (req, res) => {
      const account = await signUp(unitOfWork, req.body.email, req.body.password);
      startSession(req, account, config);
      res.status(201).json(account.user satisfies User);
    },
  );
}
