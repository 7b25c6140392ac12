import { Router } from 'express';
import { allowSharedCaching } from '@ticketing/common/http';
import { validateRequest } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { listTicketsForSale } from '../tickets/list-tickets-for-sale';
import {
  PAGE_SIZE_DEFAULT,
  SEARCH_PARAMETER_NAMES,
  cursorParameter,
  limitParameter,
  searchParameters,
  ticketSearch,
} from './validation';

/**
 * The public list and its search, the same for everyone: the edge may share it for a second (a flash sale's
 * crowd reads it), keyed by the whole URL, search included.
 */
export function listTicketsRouter(db: Executor): Router {
  return Router().get(
    '/api/tickets',
    ...searchParameters(),
    limitParameter(),
    cursorParameter(),
    validateRequest,
    async (req, res) => {
      const limit = req.query.limit === undefined ? PAGE_SIZE_DEFAULT : Number(req.query.limit);
      const cursor = req.query.cursor as string | undefined;
      const page = await listTicketsForSale(db, ticketSearch(req), { limit, cursor });
      // RFC 8288 link to the next page of the same search; its absence tells the client this was the last one.
      if (page.nextCursor) {
        const next = new URLSearchParams();
        for (const name of SEARCH_PARAMETER_NAMES) {
          const value = req.query[name];
          if (typeof value === 'string') next.set(name, value);
        }
        next.set('limit', String(limit));
        next.set('cursor', page.nextCursor);
        res.set('Link', `</api/tickets?${next}>; rel="next"`);
      }
      allowSharedCaching(res);
      res.status(200).json(page.tickets);
    },
  );
}
