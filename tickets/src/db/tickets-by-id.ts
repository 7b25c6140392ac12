import { inArray } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { tickets, type Ticket } from './schema';

/** The tickets among `ids` that exist, in no particular order: one query for a batch of live updates. */
export async function selectTicketsByIds(db: Executor, ids: readonly string[]): Promise<Ticket[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(tickets)
    .where(inArray(tickets.id, [...ids]));
}
