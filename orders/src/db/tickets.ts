import { and, eq } from 'drizzle-orm';
import type { Executor } from '@ticketing/common';
import { tickets, type TicketReplica } from './schema';

export async function findTicket(db: Executor, id: string): Promise<TicketReplica | undefined> {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.id, id));
  return ticket;
}

/** Inserts a replica row; resolves to undefined when the ticket is already known (a re-published event). */
export async function insertTicket(db: Executor, ticket: TicketReplica): Promise<TicketReplica | undefined> {
  const [inserted] = await db.insert(tickets).values(ticket).onConflictDoNothing({ target: tickets.id }).returning();
  return inserted;
}

/**
 * Applies the owner's version `changes.version` on top of the one before it; resolves to undefined when the
 * replica is not at that version any more (another instance applied it meanwhile).
 */
export async function updateTicket(
  db: Executor,
  id: string,
  changes: Pick<TicketReplica, 'title' | 'price' | 'startsAt' | 'version'>,
): Promise<TicketReplica | undefined> {
  const [updated] = await db
    .update(tickets)
    .set(changes)
    .where(and(eq(tickets.id, id), eq(tickets.version, changes.version - 1)))
    .returning();
  return updated;
}
