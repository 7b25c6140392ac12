import { Router } from 'express';
import { requireAuth, signedInUser, validateRequest } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { listRevokedCodes } from '../checkins/revoked-codes';
import { parseInstant, sinceParameter } from './checkin-validation';

/** The issuer's void codes since the previous answer's `asOf`: how an offline door learns of resales and transfers. */
export function listRevokedCodesRouter(db: Executor): Router {
  return Router().get('/api/checkins/revoked', requireAuth, sinceParameter(), validateRequest, async (req, res) => {
    res.status(200).json(await listRevokedCodes(db, signedInUser(req).id, parseInstant(req.query.since)));
  });
}
