import { Router } from 'express';
import { query } from 'express-validator';
import { isUuid, validateRequest } from '@ticketing/common/middleware';
import { MAX_TICKETS_PER_STREAM, type LiveTickets } from '../tickets/live-tickets';

const IDS_MESSAGE = `ids must be 1 to ${MAX_TICKETS_PER_STREAM} ticket ids separated by commas`;

/** The distinct ticket ids of `?ids=a,b,c`, lower-cased, or undefined when the list is not acceptable. */
export function parseTicketIds(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const ids = [...new Set(value.split(',').map((id) => id.toLowerCase()))];
  if (ids.length < 1 || ids.length > MAX_TICKETS_PER_STREAM || !ids.every(isUuid)) return undefined;
  return ids;
}

/**
 * Several tickets in one stream of server-sent events (`event: ticket`, one per ticket and change): what a
 * page showing many tickets (the landing page's cards) watches, since a browser opens only about six
 * connections to one origin. Each ticket's snapshot on connect, unknown ids skipped; 400 naming `ids` for a
 * missing, malformed or too long list. Mounted before `/api/tickets/:id`.
 */
export function streamTicketsRouter(tickets: LiveTickets): Router {
  return Router().get(
    '/api/tickets/stream',
    query('ids')
      .custom((value: unknown) => parseTicketIds(value) !== undefined)
      .withMessage(IDS_MESSAGE),
    validateRequest,
    async (req, res) => {
      await tickets.serve(req, res, { ids: parseTicketIds(req.query.ids) ?? [] });
    },
  );
}
