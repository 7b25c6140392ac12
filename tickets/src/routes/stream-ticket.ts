import { Router } from 'express';
import { requireUuidParam } from '@ticketing/common/middleware';
import { assertTicketExists, type LiveTickets } from '../tickets/live-tickets';

/**
 * One ticket as server-sent events (`event: ticket`, `id:` its version): the ticket as `GET /api/tickets/:id`
 * shows it on connect, then again on every change. Anyone may watch; 404 for an unknown ticket.
 */
export function streamTicketRouter(tickets: LiveTickets): Router {
  return Router().get('/api/tickets/:id/stream', requireUuidParam('id'), async (req, res) => {
    // Views are keyed as the database spells ids; a path may spell a UUID in capitals.
    const id = String(req.params.id).toLowerCase();
    await tickets.serve(req, res, { ids: [id], check: (views) => assertTicketExists(views, id) });
  });
}
