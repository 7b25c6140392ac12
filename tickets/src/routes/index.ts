import { Router } from 'express';
import type { Outbox } from '@ticketing/common';
import { createTicketRouter } from './create-ticket';
import { listTicketsRouter } from './list-tickets';
import { listMyTicketsRouter } from './list-my-tickets';
import { showTicketRouter } from './show-ticket';
import { updateTicketRouter } from './update-ticket';

export function ticketsRoutes(outbox: Outbox): Router {
  return Router().use(
    createTicketRouter(outbox),
    listTicketsRouter(outbox.db),
    // Before /api/tickets/:id, which would answer 404 for the id 'mine'.
    listMyTicketsRouter(outbox.db),
    showTicketRouter(outbox.db),
    updateTicketRouter(outbox),
  );
}
