import { Router } from 'express';
import type { CurrentUserResponse } from '@ticketing/common/api';

/** Who is signed in: `{ currentUser: null }` for a visitor, never an error. */
export function currentUserRouter(): Router {
  return Router().get('/api/users/currentuser', (req, res) => {
    res.json({ currentUser: req.currentUser ?? null } satisfies CurrentUserResponse);
  });
}
