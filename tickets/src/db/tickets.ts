import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { preparedStatement, type Executor } from '@ticketing/common/database';
import { tickets, type Ticket } from './schema';

export async function findTicketById(db: Executor, id: string): Promise<Ticket | undefined> {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.id, id));
  return ticket;
}

/**
 * Reads a ticket and holds its row lock until the transaction ends. The lock and unlock listeners run on
 * different consumers, at the same time; both take this lock first so that one of them always sees the
 * other's committed work (see lock-ticket.ts).
 */
export async function findTicketForUpdate(db: Executor, id: string): Promise<Ticket | undefined> {
  const [ticket] = await selectTicketForUpdate(db, { id });
  return ticket;
}

// Every order event of every ticket takes this lock: prepared once per connection (see preparedStatement).
const selectTicketForUpdate = preparedStatement('tickets_select_for_update', (db) =>
  db
    .select()
    .from(tickets)
    .where(eq(tickets.id, sql.placeholder('id')))
    .for('update'),
);

/**
 * Moves the ticket's lock to `orderId` (null frees it) on top of `expectedVersion` (version+1): what
 * `updateTicket` does for this one change, prepared, as an order's cancellation runs it for every ticket.
 */
export async function moveTicketLock(
  db: Executor,
  id: string,
  expectedVersion: number,
  orderId: string | null,
): Promise<Ticket | undefined> {
  const [ticket] = await updateLock(db, { id, version: expectedVersion, orderId });
  return ticket;
}

const updateLock = preparedStatement('tickets_move_lock', (db) =>
  db
    .update(tickets)
    .set({ orderId: sql`${sql.placeholder('orderId')}`, version: sql`${tickets.version} + 1` })
    .where(and(eq(tickets.id, sql.placeholder('id')), eq(tickets.version, sql.placeholder('version'))))
    .returning(),
);

/**
 * Marks the ticket sold to its buyer at the price they paid, on top of `expectedVersion` (version+1): what
 * `updateTicket` does for this change, prepared, as every paid order runs it.
 */
export async function markTicketRowSold(
  db: Executor,
  id: string,
  expectedVersion: number,
  sale: { soldAt: Date; buyerId: string; pricePaid: number },
): Promise<Ticket | undefined> {
  const [ticket] = await updateSold(db, { id, version: expectedVersion, ...sale });
  return ticket;
}

const updateSold = preparedStatement('tickets_mark_sold', (db) =>
  db
    .update(tickets)
    .set({
      soldAt: sql`${sql.placeholder('soldAt')}`,
      buyerId: sql`${sql.placeholder('buyerId')}`,
      pricePaid: sql`${sql.placeholder('pricePaid')}`,
      version: sql`${tickets.version} + 1`,
    })
    .where(and(eq(tickets.id, sql.placeholder('id')), eq(tickets.version, sql.placeholder('version'))))
    .returning(),
);

/**
 * Applies a change on top of `expectedVersion` and bumps the version; resolves to undefined when the row
 * changed meanwhile (optimistic concurrency, docs/rules.md#rule-3).
 */
export async function updateTicket(
  db: Executor,
  id: string,
  expectedVersion: number,
  changes: Partial<
    Pick<
      Ticket,
      | 'title'
      | 'price'
      | 'venue'
      | 'startsAt'
      | 'startsAtOffset'
      | 'timeZone'
      | 'orderId'
      | 'soldAt'
      | 'buyerId'
      | 'pricePaid'
      | 'withdrawnAt'
    >
  >,
): Promise<Ticket | undefined> {
  const [ticket] = await db
    .update(tickets)
    .set({ ...changes, version: sql`${tickets.version} + 1` })
    .where(and(eq(tickets.id, id), eq(tickets.version, expectedVersion)))
    .returning();
  return ticket;
}

/** A seller's tickets in any state (for sale, reserved, sold), newest first. */
export async function selectTicketsOfSeller(db: Executor, userId: string, limit: number): Promise<Ticket[]> {
  return db.select().from(tickets).where(eq(tickets.userId, userId)).orderBy(desc(tickets.createdAt)).limit(limit);
}

/** The resale listings of these bought tickets that are not withdrawn: at most one each (tickets_one_resale_idx). */
export async function selectLiveResalesOf(db: Executor, boughtTicketIds: string[]): Promise<Ticket[]> {
  if (boughtTicketIds.length === 0) return [];
  return db
    .select()
    .from(tickets)
    .where(and(inArray(tickets.resaleOf, boughtTicketIds), isNull(tickets.withdrawnAt)));
}

/** Fills in who bought a ticket sold before sales recorded it; not a change replicas see, so no version. */
export async function recordBuyer(db: Executor, id: string, buyer: { buyerId: string; pricePaid: number }) {
  await db
    .update(tickets)
    .set(buyer)
    .where(and(eq(tickets.id, id), isNull(tickets.buyerId)));
}
