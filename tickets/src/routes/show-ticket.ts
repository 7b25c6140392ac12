import { Router } from 'express';
import { allowSharedCaching } from '@ticketing/common/http';
import { requireUuidParam } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { showTicket } from '../tickets/show-ticket';

/** One ticket as anyone sees it: the edge may share it for a second. */
export function showTicketRouter(db: Executor): Router {
  return Router().get('/api/tickets/:id', requireUuidParam('id'), async (req, res) => {
    const ticket = await showTicket(db, req.params.id as string);
    allowSharedCaching(res);
    res.status(200).json(ticket);
  });
}
