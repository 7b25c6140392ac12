import { Router } from 'express';
import { allowSharedCaching, validateRequest, type Executor } from '@ticketing/common';
import { listTicketsForSale } from '../tickets/list-tickets-for-sale';
import { PAGE_SIZE_DEFAULT, cursorParameter, limitParameter } from './validation';

/** The public list, the same for everyone: the edge may share it for a second (a flash sale's crowd reads it). */
export function listTicketsRouter(db: Executor): Router {
  return Router().get('/api/tickets', limitParameter(), cursorParameter(), validateRequest, async (req, res) => {
    const limit = req.query.limit === undefined ? PAGE_SIZE_DEFAULT : Number(req.query.limit);
    const cursor = req.query.cursor as string | undefined;
    const page = await listTicketsForSale(db, limit, cursor);
    // RFC 8288 link to the next page; its absence tells the client this was the last one.
    if (page.nextCursor) res.set('Link', `</api/tickets?limit=${limit}&cursor=${page.nextCursor}>; rel="next"`);
    allowSharedCaching(res);
    res.status(200).json(page.tickets);
  });
}
