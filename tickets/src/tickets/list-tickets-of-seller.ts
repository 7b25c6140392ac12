import type { Executor } from '@ticketing/common/database';
import { selectTicketsOfSeller } from '../db/tickets';
import { toTicketView, type TicketView } from './ticket-view';

/** Most tickets "my listings" shows; a seller with more sees the newest. */
export const MY_LISTINGS_LIMIT = 200;

/** The seller's own tickets in every state, newest first. */
export async function listTicketsOfSeller(db: Executor, sellerId: string): Promise<TicketView[]> {
  return (await selectTicketsOfSeller(db, sellerId, MY_LISTINGS_LIMIT)).map(toTicketView);
}
