import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { listWaitingPlaces } from '../orders/list-waiting-places';

export function listWaitingListRouter(unitOfWork: UnitOfWork): Router {
  return Router().get('/api/orders/waitlist', requireAuth, async (req, res) => {
    res.status(200).json(await listWaitingPlaces(unitOfWork.db, signedInUser(req).id));
  });
}
