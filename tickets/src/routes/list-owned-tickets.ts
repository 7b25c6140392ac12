import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { listOwnedTickets } from '../tickets/list-owned-tickets';

/** "My tickets": what the signed-in user bought. Mounted before `/api/tickets/:id`. */
export function listOwnedTicketsRouter(db: Executor, { resalePriceCap }: { resalePriceCap: number }): Router {
  return Router().get('/api/tickets/owned', requireAuth, async (req, res) => {
    res.status(200).json(await listOwnedTickets(db, signedInUser(req).id, resalePriceCap));
  });
}
