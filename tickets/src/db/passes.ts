import { and, desc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { checkins, passCodes, passes, tickets, users, type PassVoidReason } from './schema';

export type Pass = typeof passes.$inferSelect;

/** One listing of a resale chain: the listing itself, what it resold, and so on up to the first listing. */
export interface ChainLink {
  id: string;
  userId: string;
  startsAt: Date | null;
}

/**
 * The resale chain of a listing, from the listing itself up to the ticket as its issuer listed it (the last
 * link, `resale_of` null). Chains are short (one link per paid resale), so one recursive query reads them.
 * Empty for an unknown listing.
 */
export async function selectChainOf(db: Executor, listingId: string): Promise<ChainLink[]> {
  const result = (await db.execute(sql`
    WITH RECURSIVE chain AS (
      SELECT id, user_id, starts_at, resale_of, 0 AS depth FROM tickets WHERE id = ${listingId}
      UNION ALL
      SELECT t.id, t.user_id, t.starts_at, t.resale_of, chain.depth + 1
      FROM tickets t JOIN chain ON t.id = chain.resale_of
    )
    SELECT id, user_id, starts_at FROM chain ORDER BY depth
  `)) as { rows: { id: string; user_id: string; starts_at: Date | string | null }[] };
  return result.rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    startsAt: row.starts_at === null ? null : new Date(row.starts_at),
  }));
}

/**
 * The pass of a ticket as its issuer listed it, locked until the transaction ends: every change of holder and
 * every admission takes this lock first and decides after it, so they happen one after another.
 */
export async function lockPass(tx: Executor, ticketId: string): Promise<Pass | undefined> {
  const [pass] = await tx.select().from(passes).where(eq(passes.ticketId, ticketId)).for('update');
  return pass;
}

/**
 * The pass `id` names (the listing the holder's pass came through, or the ticket as its issuer listed it),
 * locked. Read again after the lock was granted (PostgreSQL re-checks the condition on the row's newest
 * version), so what it returns is the pass as it is now.
 */
export async function lockPassNamedBy(tx: Executor, id: string): Promise<Pass | undefined> {
  const [pass] = await tx
    .select()
    .from(passes)
    .where(or(eq(passes.heldTicketId, id), eq(passes.ticketId, id)))
    .for('update');
  return pass;
}

/** Writes a pass's new holder and generation, and its code's row (current: no void yet). */
export async function savePassGeneration(
  tx: Executor,
  pass: Omit<Pass, 'issuedAt'>,
  previous: { generation: number; voidReason: PassVoidReason } | undefined,
): Promise<Pass> {
  const now = sql`now()`;
  let saved: Pass | undefined;
  if (previous === undefined) {
    [saved] = await tx
      .insert(passes)
      .values({ ...pass, issuedAt: now })
      .returning();
  } else {
    [saved] = await tx
      .update(passes)
      .set({ heldTicketId: pass.heldTicketId, holderId: pass.holderId, generation: pass.generation, issuedAt: now })
      .where(and(eq(passes.ticketId, pass.ticketId), eq(passes.generation, previous.generation)))
      .returning();
    await tx
      .update(passCodes)
      .set({ voidedAt: now, voidReason: previous.voidReason })
      .where(
        and(
          eq(passCodes.ticketId, pass.ticketId),
          eq(passCodes.generation, previous.generation),
          isNull(passCodes.voidedAt),
        ),
      );
  }
  if (!saved) throw new Error(`pass ${pass.ticketId} changed under its row lock`);
  await tx.insert(passCodes).values({
    ticketId: saved.ticketId,
    generation: saved.generation,
    issuerId: saved.issuerId,
    holderId: saved.holderId,
    heldTicketId: saved.heldTicketId,
    issuedAt: saved.issuedAt,
  });
  return saved;
}

/** When the ticket was admitted at the door, if it was. */
export async function findAdmission(db: Executor, ticketId: string): Promise<Date | undefined> {
  const [admission] = await db
    .select({ admittedAt: checkins.admittedAt })
    .from(checkins)
    .where(eq(checkins.ticketId, ticketId));
  return admission?.admittedAt;
}

/** A pass as its holder sees it: the pass, the ticket as its issuer listed it, the holder's email, the admission. */
export interface HeldPassRow {
  pass: Pass;
  ticket: typeof tickets.$inferSelect;
  holderEmail: string | null;
  admittedAt: Date | null;
}

const heldPassColumns = {
  pass: passes,
  ticket: tickets,
  holderEmail: users.email,
  admittedAt: checkins.admittedAt,
};

/** The pass `id` names (held listing or first listing), if `holderId` holds it. */
export async function findHeldPass(db: Executor, holderId: string, id: string): Promise<HeldPassRow | undefined> {
  const [row] = await db
    .select(heldPassColumns)
    .from(passes)
    .innerJoin(tickets, eq(tickets.id, passes.ticketId))
    .leftJoin(users, eq(users.id, passes.holderId))
    .leftJoin(checkins, eq(checkins.ticketId, passes.ticketId))
    .where(and(eq(passes.holderId, holderId), or(eq(passes.heldTicketId, id), eq(passes.ticketId, id))));
  return row;
}

/** The passes a user holds, the latest issued first, with the listing each came through and its admission. */
export async function selectPassesHeldBy(
  db: Executor,
  holderId: string,
  limit: number,
): Promise<{ pass: Pass; held: typeof tickets.$inferSelect; admittedAt: Date | null }[]> {
  return db
    .select({ pass: passes, held: tickets, admittedAt: checkins.admittedAt })
    .from(passes)
    .innerJoin(tickets, eq(tickets.id, passes.heldTicketId))
    .leftJoin(checkins, eq(checkins.ticketId, passes.ticketId))
    .where(eq(passes.holderId, holderId))
    .orderBy(desc(passes.issuedAt))
    .limit(limit);
}
