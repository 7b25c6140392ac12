import { Router } from 'express';
import { requireAuth, signedInUser, validateRequest } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { checkIn } from '../checkins/check-in';
import type { PassSigner } from '../passes/pass-signer';
import { checkinFields, scanOf } from './checkin-validation';

/** The door: the issuer scans a pass code; 201 admitted, 409 and why not (the answer's `result`). */
export function checkInRouter(
  unitOfWork: UnitOfWork,
  signer: PassSigner,
  settings: { checkinWindowHours: number },
): Router {
  return Router().post('/api/checkins', requireAuth, ...checkinFields(), validateRequest, async (req, res) => {
    const { status, answer } = await checkIn(
      unitOfWork,
      signer,
      { callerId: signedInUser(req).id, ...scanOf(req) },
      settings,
    );
    res.status(status).json(answer);
  });
}
