import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { sessionCookieFor } from '@ticketing/common/testing';
import type { PassSigner } from '../src/passes/pass-signer';
import { findPassForUpdate } from '../src/db/checkins';
import { checkins, passCodes, passes, tickets, users, type PassVoidReason } from '../src/db/schema';

let counter = 0;

/** A signed-in account the tickets service has heard of (its `users` replica row), unless `known` is false. */
export async function buildAccount(db: Executor, { known = true }: { known?: boolean } = {}) {
  const session = sessionCookieFor();
  if (known) await db.insert(users).values({ id: session.user.id, email: session.user.email, version: 0 });
  return session;
}

export interface PassOptions {
  /** The issuer: who listed the ticket first. A new account by default. */
  issuerId?: string;
  /** The current holder. A new account (known to the users replica) by default. */
  holderId?: string;
  /** The event's start; none by default. */
  startsAt?: Date | null;
  /** The current generation: every lower one is void ('transferred'). */
  generation?: number;
  title?: string;
  venue?: string | null;
}

/**
 * A sold ticket as its issuer listed it, with its pass and every code it has had, written straight into the
 * tables (as the order.completed listener and transfers will write them). The codes come from `signer`.
 */
export async function buildPass(db: Executor, signer: PassSigner, options: PassOptions = {}) {
  counter += 1;
  const ticketId = randomUUID();
  const issuerId = options.issuerId ?? randomUUID();
  const holderId = options.holderId ?? (await buildAccount(db)).user.id;
  const generation = options.generation ?? 1;
  const startsAt = options.startsAt ?? null;
  const title = options.title ?? `Door concert #${counter}`;
  await db.insert(tickets).values({
    id: ticketId,
    title,
    price: 2000,
    userId: issuerId,
    orderId: randomUUID(),
    soldAt: new Date(),
    buyerId: holderId,
    pricePaid: 2000,
    venue: options.venue ?? null,
    startsAt,
    startsAtOffset: startsAt === null ? null : 0,
  });
  await db.insert(passes).values({ ticketId, issuerId, heldTicketId: ticketId, holderId, generation });
  for (let earlier = 1; earlier <= generation; earlier += 1) {
    const isVoid = earlier < generation;
    await db.insert(passCodes).values({
      ticketId,
      generation: earlier,
      issuerId,
      holderId: isVoid ? randomUUID() : holderId,
      heldTicketId: ticketId,
      voidedAt: isVoid ? new Date() : null,
      voidReason: isVoid ? 'transferred' : null,
    });
  }
  return {
    ticketId,
    issuerId,
    holderId,
    title,
    /** The code of this generation (the current one by default). */
    code: (of = generation) => signer.codeFor({ ticketId, generation: of }),
  };
}

/** A resale listing of the held ticket, live unless withdrawn. */
export async function listForResale(db: Executor, heldTicketId: string, sellerId: string) {
  const id = randomUUID();
  await db.insert(tickets).values({ id, title: 'Resale', price: 2000, userId: sellerId, resaleOf: heldTicketId });
  return id;
}

/**
 * A change of holder as a transfer makes it, under the locking protocol: the pass's row lock first, refused once
 * admitted, else the current code voided (stamped with the transaction's `now()`), generation + 1.
 * `whileLocked` runs after the lock is taken, before the change (to let a test hold the lock).
 */
export async function transferPass(
  db: Executor,
  ticketId: string,
  toHolderId: string,
  { reason = 'transferred', whileLocked }: { reason?: PassVoidReason; whileLocked?: () => Promise<void> } = {},
): Promise<'transferred' | 'refused-admitted'> {
  return db.transaction(async (tx) => {
    const pass = await findPassForUpdate(tx, ticketId);
    if (!pass) throw new Error(`no pass for ${ticketId}`);
    await whileLocked?.();
    const [admitted] = await tx.select().from(checkins).where(eq(checkins.ticketId, ticketId));
    if (admitted) return 'refused-admitted';
    await tx
      .update(passCodes)
      .set({ voidedAt: sql`now()`, voidReason: reason })
      .where(and(eq(passCodes.ticketId, ticketId), eq(passCodes.generation, pass.generation)));
    await tx
      .update(passes)
      .set({ generation: pass.generation + 1, holderId: toHolderId })
      .where(eq(passes.ticketId, ticketId));
    await tx.insert(passCodes).values({
      ticketId,
      generation: pass.generation + 1,
      issuerId: pass.issuerId,
      holderId: toHolderId,
      heldTicketId: pass.heldTicketId,
    });
    return 'transferred';
  });
}
