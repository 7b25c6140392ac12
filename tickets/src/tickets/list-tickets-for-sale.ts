import { BadRequestError, type Executor } from '@ticketing/common';
import { selectTicketsForSale } from '../db/tickets';
import { decodeCursor, encodeCursor } from './cursor';
import { toTicketView, type TicketView } from './ticket-view';

export interface TicketsPage {
  tickets: TicketView[];
  /** The cursor of the next page; absent on the last one. */
  nextCursor?: string;
}

/** One page of the tickets for sale (not locked), newest first, after `cursor` (from a previous page). */
export async function listTicketsForSale(db: Executor, limit: number, cursor?: string): Promise<TicketsPage> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && !after) throw new BadRequestError('Cursor is not valid', 'cursor');
  // One row more than asked says whether a next page exists without a count.
  const rows = await selectTicketsForSale(db, { limit: limit + 1, after });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    tickets: page.map((row) => toTicketView(row.ticket)),
    nextCursor: rows.length > limit && last ? encodeCursor(last.position) : undefined,
  };
}
