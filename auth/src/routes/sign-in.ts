import { Router } from 'express';
import { rateLimiter, validateRequest, type Outbox } from '@ticketing/common';
import { signIn } from '../accounts/accounts';
import type { AuthConfig } from '../config';
import { emailField, suppliedPasswordField } from './validation';
import { startSession } from './session';

export function signInRouter(outbox: Outbox, config: AuthConfig): Router {
  return Router().post(
    '/api/users/signin',
    rateLimiter({ windowMs: 60_000, limit: config.AUTH_RATE_LIMIT_PER_MINUTE }),
    emailField(),
    suppliedPasswordField(),
    validateRequest,
    async (req, res) => {
      const user = await signIn(outbox, req.body.email, req.body.password);
      startSession(req, user, config);
      res.status(200).json(user);
    },
  );
}
