import { and, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common';
import { tickets, type Ticket } from './schema';

/** Where a ticket sits in the for-sale list: its creation time to the microsecond (UTC, ISO 8601) and id. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

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
  const [ticket] = await db.select().from(tickets).where(eq(tickets.id, id)).for('update');
  return ticket;
}

/**
 * Applies a change on top of `expectedVersion` and bumps the version; resolves to undefined when the row
 * changed meanwhile (optimistic concurrency, docs/rules.md#rule-3).
 */
export async function updateTicket(
  db: Executor,
  id: string,
  expectedVersion: number,
  changes: Partial<Pick<Ticket, 'title' | 'price' | 'orderId' | 'soldAt' | 'buyerId' | 'pricePaid' | 'withdrawnAt'>>,
): Promise<Ticket | undefined> {
  const [ticket] = await db
    .update(tickets)
    .set({ ...changes, version: sql`${tickets.version} + 1` })
    .where(and(eq(tickets.id, id), eq(tickets.version, expectedVersion)))
    .returning();
  return ticket;
}

/**
 * Up to `limit` tickets for sale, newest first, strictly after `after` (keyset pagination: a ticket added
 * meanwhile lands before the cursor and shifts nothing). Each row carries its exact list position: a JS
 * Date keeps milliseconds while PostgreSQL keeps microseconds, so the position is read as text.
 */
export async function selectTicketsForSale(
  db: Executor,
  { limit, after }: { limit: number; after?: ListPosition },
): Promise<{ ticket: Ticket; position: ListPosition }[]> {
  const rows = await db
    .select({
      ticket: tickets,
      createdAtExact: sql<string>`to_char(${tickets.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(tickets)
    .where(
      and(
        isNull(tickets.orderId),
        isNull(tickets.withdrawnAt),
        after
          ? sql`(${tickets.createdAt}, ${tickets.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(tickets.createdAt), desc(tickets.id))
    .limit(limit);
  return rows.map(({ ticket, createdAtExact }) => ({ ticket, position: { createdAt: createdAtExact, id: ticket.id } }));
}

/** A seller's tickets in any state (for sale, reserved, sold), newest first. */
export async function selectTicketsOfSeller(db: Executor, userId: string, limit: number): Promise<Ticket[]> {
  return db.select().from(tickets).where(eq(tickets.userId, userId)).orderBy(desc(tickets.createdAt)).limit(limit);
}

/** What a buyer bought (sold tickets whose buyer is known), latest purchase first. */
export async function selectTicketsBoughtBy(db: Executor, buyerId: string, limit: number): Promise<Ticket[]> {
  return db
    .select()
    .from(tickets)
    .where(and(eq(tickets.buyerId, buyerId), isNotNull(tickets.soldAt)))
    .orderBy(desc(tickets.soldAt))
    .limit(limit);
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
