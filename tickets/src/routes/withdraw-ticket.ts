import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser, type Outbox } from '@ticketing/common';
import { withdrawTicket } from '../tickets/withdraw-ticket';

export function withdrawTicketRouter(outbox: Outbox): Router {
  return Router().delete('/api/tickets/:id', requireAuth, requireUuidParam('id'), async (req, res) => {
    await withdrawTicket(outbox, signedInUser(req).id, req.params.id as string);
    res.status(204).end();
  });
}
