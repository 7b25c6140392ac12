import { and, eq } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { tickets, type TicketReplica } from './schema';

export async function findTicket(db: Executor, id: string): Promise<TicketReplica | undefined> {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.id, id));
  return ticket;
}

/**
 * Reads the replica's ticket and holds a share lock on its row until the transaction ends: an order placed
 * on it then commits either before a withdrawal is applied (which then sees the order and cancels it) or
 * after (and sees the ticket withdrawn). Buyers' share locks do not wait for each other.
 */
export async function findTicketForShare(db: Executor, id: string): Promise<TicketReplica | undefined> {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.id, id)).for('share');
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
  changes: Pick<TicketReplica, 'title' | 'price' | 'startsAt' | 'withdrawn' | 'version'>,
): Promise<TicketReplica | undefined> {
  const [updated] = await db
    .update(tickets)
    .set(changes)
    .where(and(eq(tickets.id, id), eq(tickets.version, changes.version - 1)))
    .returning();
  return updated;
}
