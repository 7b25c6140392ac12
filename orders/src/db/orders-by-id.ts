import { eq, inArray } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import type { OrderWithTicket } from './orders';
import { orders, tickets } from './schema';

/** The orders among `ids` that exist, each with its ticket, in no particular order: one query for a batch. */
export async function selectOrdersWithTicketsByIds(db: Executor, ids: readonly string[]): Promise<OrderWithTicket[]> {
  if (ids.length === 0) return [];
  return db
    .select({ order: orders, ticket: tickets })
    .from(orders)
    .innerJoin(tickets, eq(orders.ticketId, tickets.id))
    .where(inArray(orders.id, [...ids]));
}
