import { Router } from 'express';
import { body } from 'express-validator';
import { requireAuth, signedInUser, validateRequest, type Outbox } from '@ticketing/common';
import { updateAccount } from '../accounts/accounts';
import type { AuthConfig } from '../config';
import { emailField, newPasswordField, suppliedPasswordField } from './validation';
import { startSession } from './session';

export function updateCurrentUserRouter(outbox: Outbox, config: AuthConfig): Router {
  return Router().patch(
    '/api/users/currentuser',
    requireAuth,
    suppliedPasswordField('currentPassword'),
    emailField().optional(),
    newPasswordField().optional(),
    body().custom((value: Record<string, unknown>) => {
      if (value?.email === undefined && value?.password === undefined) {
        throw new Error('Provide a new email or a new password');
      }
      return true;
    }),
    validateRequest,
    async (req, res) => {
      const user = await updateAccount(outbox, signedInUser(req).id, {
        currentPassword: req.body.currentPassword,
        email: req.body.email,
        password: req.body.password,
      });
      // The cookie carries the email: re-issue it so the session shows the new one.
      startSession(req, user, config);
      res.status(200).json(user);
    },
  );
}
