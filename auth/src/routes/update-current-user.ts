import { Router } from 'express';
import { body } from 'express-validator';
import {
  perUser,
  requireAuth,
  signedInUser,
  validateRequest,
  type SharedRateLimits,
} from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { User } from '@ticketing/common/api';
import { updateAccount } from '../accounts/update-account';
import type { SessionVersionMirror } from '../accounts/session-version-mirror';
import type { AuthConfig } from '../config';
import { emailField, newPasswordField, suppliedPasswordField } from './validation';
import { startSession } from './session';

export function updateCurrentUserRouter(
  unitOfWork: UnitOfWork,
  sessions: SessionVersionMirror,
  config: AuthConfig,
  rateLimits: SharedRateLimits,
): Router {
  return Router().patch(
    '/api/users/currentuser',
    requireAuth,
    // Every attempt checks the current password: without a limit this route is a password-guessing oracle.
    rateLimits.limit({
      name: 'auth-account-update',
      points: config.ACCOUNT_UPDATE_RATE_LIMIT_PER_MINUTE,
      windowSeconds: 60,
      key: perUser,
      message: 'Too many attempts to change your account; please wait a minute',
    }),
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
      const account = await updateAccount(unitOfWork, sessions, signedInUser(req).id, {
        currentPassword: req.body.currentPassword,
        email: req.body.email,
        password: req.body.password,
      });
      // The cookie carries the email and the session version: re-issue it so this session shows the new
      // email and, after a new password (which revokes every other session), stays signed in.
      startSession(req, account, config);
      res.status(200).json(account.user satisfies User);
    },
  );
}
