import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import type { PassSigner } from '../passes/pass-signer';
import { showPass } from '../passes/show-pass';

/** The signed-in holder's pass with its current code: nothing any cache may keep. */
export function showPassRouter(db: Executor, signer: PassSigner): Router {
  return Router().get('/api/tickets/:id/pass', requireAuth, requireUuidParam('id'), async (req, res) => {
    const pass = await showPass(db, signer, signedInUser(req).id, req.params.id as string);
    res.setHeader('Cache-Control', 'private, no-store');
    res.status(200).json(pass);
  });
}
