import { Router } from 'express';

export function signOutRouter(): Router {
  return Router().post('/api/users/signout', (req, res) => {
    req.session = null;
    res.status(200).json({});
  });
}
