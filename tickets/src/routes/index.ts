import { Router } from 'express';
import type { Outbox } from '@ticketing/common';
import { createTicketRouter } from './create-ticket';
import { listTicketsRouter } from './list-tickets';
import { listMyTicketsRouter } from './list-my-tickets';
import { showTicketRouter } from './show-ticket';
import { updateTicketRouter } from './update-ticket';
import { listOwnedTicketsRouter } from './list-owned-tickets';
import { resellTicketRouter } from './resell-ticket';
import { withdrawTicketRouter } from './withdraw-ticket';

/** What the routes need of the configuration. */
export interface TicketsRouteSettings {
  /** RESALE_PRICE_CAP: a resale costs at most the price paid times this. */
  resalePriceCap: number;
}

export function ticketsRoutes(outbox: Outbox, settings: TicketsRouteSettings): Router {
  return Router().use(
    createTicketRouter(outbox),
    listTicketsRouter(outbox.db),
    // Before /api/tickets/:id, which would answer 404 for the ids 'mine' and 'owned'.
    listMyTicketsRouter(outbox.db),
    listOwnedTicketsRouter(outbox.db, settings),
    showTicketRouter(outbox.db),
    updateTicketRouter(outbox, settings),
    resellTicketRouter(outbox, settings),
    withdrawTicketRouter(outbox),
  );
}
