import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { listTicketsOfSeller } from '../tickets/list-tickets-of-seller';

/** "My listings": the signed-in seller's tickets in every state. Mounted before `/api/tickets/:id`. */
export function listMyTicketsRouter(db: Executor): Router {
  return Router().get('/api/tickets/mine', requireAuth, async (req, res) => {
    res.status(200).json(await listTicketsOfSeller(db, signedInUser(req).id));
  });
}
