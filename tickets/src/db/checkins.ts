import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { checkinScans, checkins, passCodes, passes, tickets, users } from './schema';

export type Pass = typeof passes.$inferSelect;
export type PassCode = typeof passCodes.$inferSelect;
export type CheckinRow = typeof checkins.$inferSelect;
export type CheckinScan = typeof checkinScans.$inferSelect;

/**
 * Reads a pass and holds its row lock until the transaction ends: the locking protocol of passes. Every change
 * of holder and every check-in takes it first and decides after it, so a check-in and a transfer (or a resale's
 * payment) of one ticket are one after the other, and the second sees what the first did.
 */
export async function findPassForUpdate(db: Executor, ticketId: string): Promise<Pass | undefined> {
  const [pass] = await db.select().from(passes).where(eq(passes.ticketId, ticketId)).for('update');
  return pass;
}

export async function findPassCode(db: Executor, ticketId: string, generation: number): Promise<PassCode | undefined> {
  const [code] = await db
    .select()
    .from(passCodes)
    .where(and(eq(passCodes.ticketId, ticketId), eq(passCodes.generation, generation)));
  return code;
}

export async function findCheckin(db: Executor, ticketId: string): Promise<CheckinRow | undefined> {
  const [checkin] = await db.select().from(checkins).where(eq(checkins.ticketId, ticketId));
  return checkin;
}

/**
 * Admits a ticket, unless it is admitted already: the primary key decides, whatever else raced this insert.
 * Resolves to undefined when another admission was there first.
 */
export async function insertCheckin(
  db: Executor,
  checkin: typeof checkins.$inferInsert,
): Promise<CheckinRow | undefined> {
  const [inserted] = await db.insert(checkins).values(checkin).onConflictDoNothing().returning();
  return inserted;
}

/** The answer this issuer's scan `nonce` was given, if it was answered. */
export async function findCheckinScan(db: Executor, issuerId: string, nonce: string): Promise<CheckinScan | undefined> {
  const [scan] = await db
    .select()
    .from(checkinScans)
    .where(and(eq(checkinScans.issuerId, issuerId), eq(checkinScans.nonce, nonce)));
  return scan;
}

/** Stores a scan's answer; false when the nonce already holds one (then nothing changed). */
export async function insertCheckinScan(db: Executor, scan: typeof checkinScans.$inferInsert): Promise<boolean> {
  const inserted = await db
    .insert(checkinScans)
    .values(scan)
    .onConflictDoNothing()
    .returning({ nonce: checkinScans.nonce });
  return inserted.length > 0;
}

/** Whether the held listing is offered again right now: a resale of it neither withdrawn nor sold. */
export async function hasLiveResale(db: Executor, heldTicketId: string): Promise<boolean> {
  const [resale] = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.resaleOf, heldTicketId), isNull(tickets.withdrawnAt), isNull(tickets.soldAt)))
    .limit(1);
  return resale !== undefined;
}

/** An account's email as auth last published it; null while this replica has not heard of it. */
export async function findUserEmail(db: Executor, userId: string): Promise<string | null> {
  const [user] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return user?.email ?? null;
}

/**
 * The earliest moment a code voided by a transaction not yet visible to this statement's successors can carry:
 * the start of the oldest transaction open on this database now (PostgreSQL's `now()` in a transaction is its
 * start, `pg_stat_activity.xact_start`), or now when none is. Read in a statement of its own, before the read it
 * guards: a transaction that commits after that read began was open when this one looked, or began after it.
 */
export async function oldestOpenTransactionStart(db: Executor): Promise<Date> {
  const result = (await db.execute(sql`
    select least(
      statement_timestamp(),
      (select min(xact_start) from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid())
    ) as since`)) as { rows: { since: Date | string }[] };
  const [row] = result.rows;
  if (!row) throw new Error('SELECT least(...) returned no row');
  return new Date(row.since);
}
