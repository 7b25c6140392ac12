import { Router } from 'express';
import { body } from 'express-validator';
import { NotAuthorizedError } from '@ticketing/common/errors';
import { validateRequest } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import type { SignOutResponse } from '@ticketing/common/api';
import { signOutEverywhere } from '../accounts/sign-out-everywhere';
import type { SessionVersionMirror } from '../accounts/session-version-mirror';

/**
 * Signs this browser out (`{}`), or with `{ everywhere: true }` every session of the account, copied
 * cookies included: that needs a session, since it acts on the account.
 */
export function signOutRouter(db: Executor, sessions: SessionVersionMirror): Router {
  return Router().post(
    '/api/users/signout',
    body('everywhere').optional().isBoolean({ strict: true }).withMessage('everywhere must be true or false'),
    validateRequest,
    async (req, res) => {
      if (req.body?.everywhere === true) {
        if (!req.currentUser) throw new NotAuthorizedError();
        await signOutEverywhere(db, sessions, req.currentUser.id);
      }
      req.session = null;
      res.status(200).json({} satisfies SignOutResponse);
    },
  );
}
