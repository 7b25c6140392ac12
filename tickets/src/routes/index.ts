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
import { listOwnedTicketsRouter } from './list-owned-tickets';
import { resellTicketRouter } from './resell-ticket';
import { withdrawTicketRouter } from './withdraw-ticket';

/** What the routes need of the configuration. */
export interface TicketsRouteSettings {
  /** RESALE_PRICE_CAP: a resale costs at most the price paid times this. */
  resalePriceCap: number;
}

export function ticketsRoutes(outbox: Outbox, liveTickets: LiveTickets, settings: TicketsRouteSettings): Router {
  return Router().use(
    createTicketRouter(outbox),
    listTicketsRouter(outbox.db),
    // Before /api/tickets/:id, which would answer 404 for the ids 'mine', 'owned' and 'stream'.
    listMyTicketsRouter(outbox.db),
    listOwnedTicketsRouter(outbox.db, settings),
    streamTicketsRouter(liveTickets),
    streamTicketRouter(liveTickets),
    showTicketRouter(outbox.db),
    updateTicketRouter(outbox, settings),
    resellTicketRouter(outbox, settings),
    withdrawTicketRouter(outbox),
  );
}
