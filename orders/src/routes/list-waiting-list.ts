import { Router } from 'express';
import { requireAuth, signedInUser, type Outbox } from '@ticketing/common';
import { listWaitingPlaces } from '../orders/list-waiting-places';

export function listWaitingListRouter(outbox: Outbox): Router {
  return Router().get('/api/orders/waitlist', requireAuth, async (req, res) => {
    res.status(200).json(await listWaitingPlaces(outbox.db, signedInUser(req).id));
  });
}
