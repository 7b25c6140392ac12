import { Router } from 'express';
import { requireUuidParam, type Executor } from '@ticketing/common';
import { showTicket } from '../tickets/tickets';

export function showTicketRouter(db: Executor): Router {
  return Router().get('/api/tickets/:id', requireUuidParam('id'), async (req, res) => {
    res.status(200).json(await showTicket(db, req.params.id as string));
  });
}
