import { Router } from 'express';
import type { Outbox } from '@ticketing/common';
import { createTicketRouter } from './create-ticket';
import { listTicketsRouter } from './list-tickets';
import { listMyTicketsRouter } from './list-my-tickets';
import { showTicketRouter } from './show-ticket';
import { updateTicketRouter } from './update-ticket';
import { streamTicketRouter } from './stream-ticket';
import { streamTicketsRouter } from './stream-tickets';
import type { LiveTickets } from '../tickets/live-tickets';

export function ticketsRoutes(outbox: Outbox, liveTickets: LiveTickets): Router {
  return Router().use(
    createTicketRouter(outbox),
    listTicketsRouter(outbox.db),
    // Before /api/tickets/:id, which would answer 404 for the ids 'mine' and 'stream'.
    listMyTicketsRouter(outbox.db),
    streamTicketsRouter(liveTickets),
    streamTicketRouter(liveTickets),
    showTicketRouter(outbox.db),
    updateTicketRouter(outbox),
  );
}
