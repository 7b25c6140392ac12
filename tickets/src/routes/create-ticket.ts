import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { createTicket } from '../tickets/create-ticket';
import { ticketInput, validateTicketFields } from './validation';

export function createTicketRouter(unitOfWork: UnitOfWork): Router {
  return Router().post('/api/tickets', requireAuth, validateTicketFields, async (req, res) => {
    const ticket = await createTicket(unitOfWork, signedInUser(req).id, ticketInput(req));
    res.status(201).json(ticket);
  });
}
