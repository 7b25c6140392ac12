import { Router } from 'express';
import { requireAuth, signedInUser, validateRequest, type Outbox } from '@ticketing/common';
import { createTicket } from '../tickets/create-ticket';
import { priceField, ticketInput, titleField } from './validation';

export function createTicketRouter(outbox: Outbox): Router {
  return Router().post('/api/tickets', requireAuth, titleField(), priceField(), validateRequest, async (req, res) => {
    const ticket = await createTicket(outbox, signedInUser(req).id, ticketInput(req));
    res.status(201).json(ticket);
  });
}
