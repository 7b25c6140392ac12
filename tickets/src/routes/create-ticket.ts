import { Router } from 'express';
import { requireAuth, signedInUser, validateRequest, type Outbox } from '@ticketing/common';
import { createTicket } from '../tickets/create-ticket';
import { priceField, startsAtField, ticketInput, timeZoneField, titleField, venueField } from './validation';

export function createTicketRouter(outbox: Outbox): Router {
  return Router().post(
    '/api/tickets',
    requireAuth,
    titleField(),
    priceField(),
    venueField(),
    startsAtField(),
    timeZoneField(),
    validateRequest,
    async (req, res) => {
      const ticket = await createTicket(outbox, signedInUser(req).id, ticketInput(req));
      res.status(201).json(ticket);
    },
  );
}
