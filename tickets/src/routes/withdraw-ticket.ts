import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { withdrawTicket } from '../tickets/withdraw-ticket';

export function withdrawTicketRouter(unitOfWork: UnitOfWork): Router {
  return Router().delete('/api/tickets/:id', requireAuth, requireUuidParam('id'), async (req, res) => {
    await withdrawTicket(unitOfWork, signedInUser(req).id, req.params.id as string);
    res.status(204).end();
  });
}
