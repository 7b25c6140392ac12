import { Router } from 'express';
import type { SignOutResponse } from '@ticketing/common/api';

export function signOutRouter(): Router {
  return Router().post('/api/users/signout', (req, res) => {
    req.session = null;
    res.status(200).json({} satisfies SignOutResponse);
  });
}
