import { and, eq, sql } from 'drizzle-orm';
import { preparedStatement, type Executor } from '@ticketing/common/database';
import { tickets, type TicketReplica } from './schema';

export async function findTicket(db: Executor, id: string): Promise<TicketReplica | undefined> {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.id, id));
  return ticket;
}

/** Inserts a replica row; resolves to undefined when the ticket is already known (a re-published event). */
export async function insertTicket(db: Executor, ticket: TicketReplica): Promise<TicketReplica | undefined> {
  const [inserted] = await insertTicketUnlessKnown(db, {
    ...ticket,
    // A raw placeholder takes the driver's value: what Drizzle's column would have made of it.
    startsAt: ticket.startsAt?.toISOString() ?? null,
  });
  return inserted;
}

// Every listing and every change of one reaches the replica: prepared once per connection (see preparedStatement).
const insertTicketUnlessKnown = preparedStatement('orders_insert_ticket', (db) =>
  db
    .insert(tickets)
    .values({
      id: sql`${sql.placeholder('id')}`,
      title: sql`${sql.placeholder('title')}`,
      price: sql`${sql.placeholder('price')}`,
      userId: sql`${sql.placeholder('userId')}`,
      startsAt: sql`${sql.placeholder('startsAt')}`,
      withdrawn: sql`${sql.placeholder('withdrawn')}`,
      version: sql`${sql.placeholder('version')}`,
    })
    .onConflictDoNothing({ target: tickets.id })
    .returning(),
);

/**
 * Applies the owner's version `changes.version` on top of the one before it; resolves to undefined when the
 * replica is not at that version any more (another instance applied it meanwhile).
 */
export async function updateTicket(
  db: Executor,
  id: string,
  changes: Pick<TicketReplica, 'title' | 'price' | 'startsAt' | 'withdrawn' | 'version'>,
): Promise<TicketReplica | undefined> {
  const [updated] = await updateTicketOnVersion(db, {
    ...changes,
    id,
    startsAt: changes.startsAt?.toISOString() ?? null,
    previousVersion: changes.version - 1,
  });
  return updated;
}

const updateTicketOnVersion = preparedStatement('orders_update_ticket', (db) =>
  db
    .update(tickets)
    .set({
      title: sql`${sql.placeholder('title')}`,
      price: sql`${sql.placeholder('price')}`,
      startsAt: sql`${sql.placeholder('startsAt')}`,
      withdrawn: sql`${sql.placeholder('withdrawn')}`,
      version: sql`${sql.placeholder('version')}`,
    })
    .where(and(eq(tickets.id, sql.placeholder('id')), eq(tickets.version, sql.placeholder('previousVersion'))))
    .returning(),
);
