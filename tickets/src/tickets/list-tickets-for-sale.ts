import { BadRequestError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import { selectTicketsForSale } from '../db/ticket-search';
import { decodeCursor, encodeCursor } from './cursor';
import { cursorProblem, type TicketSearch } from './ticket-search';
import { toTicketView, type TicketView } from './ticket-view';

export interface TicketsPage {
  tickets: TicketView[];
  /** The cursor of the next page; absent on the last one. */
  nextCursor?: string;
}

/**
 * One page of the tickets for sale that match `search`: not held by an order and whose event has not started
 * by `now`, in the search's sort, after `cursor` (from a previous page of the same sort; keyset paging, so a
 * ticket listed meanwhile shifts nothing).
 */
export async function listTicketsForSale(
  db: Executor,
  search: TicketSearch,
  { limit, cursor }: { limit: number; cursor?: string },
  now = new Date(),
): Promise<TicketsPage> {
  if (cursor !== undefined) {
    const problem = cursorProblem(cursor, search.sort);
    if (problem) throw new BadRequestError(problem, 'cursor');
  }
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  // One row more than asked says whether a next page exists without a count.
  const rows = await selectTicketsForSale(db, { search, limit: limit + 1, after, now });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    tickets: page.map((row) => toTicketView(row.ticket)),
    nextCursor: rows.length > limit && last ? encodeCursor(last.position) : undefined,
  };
}
