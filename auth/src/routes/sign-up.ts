import { Router } from 'express';
import { rateLimiter, validateRequest, type Outbox } from '@ticketing/common';
import { signUp } from '../accounts/accounts';
import type { AuthConfig } from '../config';
import { emailField, newPasswordField } from './validation';
import { startSession } from './session';

export function signUpRouter(outbox: Outbox, config: AuthConfig): Router {
  return Router().post(
    '/api/users/signup',
    rateLimiter({ windowMs: 60_000, limit: config.AUTH_RATE_LIMIT_PER_MINUTE }),
    emailField(),
    newPasswordField(),
    validateRequest,
    async (req, res) => {
      const user = await signUp(outbox, req.body.email, req.body.password);
      startSession(req, user, config);
      res.status(201).json(user);
    },
  );
}
