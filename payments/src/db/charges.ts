import { and, asc, desc, eq, gt, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { ChargeStatus, OrderStatus } from '@ticketing/common/events';
import { preparedStatement, type Executor } from '@ticketing/common/database';
import { ChargeFailureKind, charges, orders, type Charge } from './schema';

export async function findCharge(db: Executor, id: string): Promise<Charge | undefined> {
  const [charge] = await db.select().from(charges).where(eq(charges.id, id));
  return charge;
}

/** The order's charge that is not failed (created or completed), if any: the unique index allows one. */
export async function findLiveCharge(db: Executor, orderId: string): Promise<Charge | undefined> {
  const [charge] = await db
    .select()
    .from(charges)
    .where(and(eq(charges.orderId, orderId), ne(charges.status, ChargeStatus.Failed)));
  return charge;
}

/** Whether an attempt to pay the order was declined: then the order is cancelled, and stays unpayable. */
export async function hasDeclinedCharge(db: Executor, orderId: string): Promise<boolean> {
  const [declined] = await db
    .select({ id: charges.id })
    .from(charges)
    .where(and(eq(charges.orderId, orderId), eq(charges.failureKind, ChargeFailureKind.Declined)))
    .limit(1);
  return declined !== undefined;
}

/** Every charge of an order, newest first. */
export async function listChargesOfOrder(db: Executor, orderId: string): Promise<Charge[]> {
  return db
    .select()
    .from(charges)
    .where(eq(charges.orderId, orderId))
    .orderBy(desc(charges.createdAt), desc(charges.id));
}

/** Completed charges of an order that were not refunded yet, locked until the transaction ends. */
export async function lockUnrefundedCompletedCharges(tx: Executor, orderId: string): Promise<Charge[]> {
  return selectUnrefundedCompletedChargesForUpdate(tx, { orderId });
}

// Every cancellation of an order asks: prepared once per connection (see preparedStatement).
const selectUnrefundedCompletedChargesForUpdate = preparedStatement('payments_lock_unrefunded_charges', (db) =>
  db
    .select()
    .from(charges)
    .where(
      and(
        eq(charges.orderId, sql.placeholder('orderId')),
        eq(charges.status, ChargeStatus.Completed),
        isNull(charges.stripeRefundId),
      ),
    )
    .for('update'),
);

/**
 * Ids of charges whose outcome is unknown: still `created`, last sent to Stripe before `attemptedBefore`,
 * and with no attempt in flight at `now` (its lease ran out or was released). One page in id order, after
 * `afterId`.
 */
export async function listChargesAwaitingOutcome(
  db: Executor,
  { attemptedBefore, now, afterId, limit }: { attemptedBefore: Date; now: Date; afterId?: string; limit: number },
): Promise<string[]> {
  const rows = await db
    .select({ id: charges.id })
    .from(charges)
    .where(
      and(
        eq(charges.status, ChargeStatus.Created),
        lt(charges.lastAttemptAt, attemptedBefore),
        or(isNull(charges.attemptExpiresAt), lte(charges.attemptExpiresAt, now)),
        afterId ? gt(charges.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(charges.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

/**
 * Orders whose replica is cancelled while one of their charges is completed and not refunded: money kept
 * for an order that will never be delivered. One page in order id order, after `afterOrderId`.
 */
export async function listCancelledOrdersWithUnrefundedCharges(
  db: Executor,
  { afterOrderId, limit }: { afterOrderId?: string; limit: number },
): Promise<string[]> {
  const rows = await db
    .selectDistinct({ orderId: charges.orderId })
    .from(charges)
    .innerJoin(orders, eq(orders.id, charges.orderId))
    .where(
      and(
        eq(charges.status, ChargeStatus.Completed),
        isNull(charges.stripeRefundId),
        eq(orders.status, OrderStatus.Cancelled),
        afterOrderId ? gt(charges.orderId, afterOrderId) : undefined,
      ),
    )
    .orderBy(asc(charges.orderId))
    .limit(limit);
  return rows.map((row) => row.orderId);
}

export async function insertCharge(
  tx: Executor,
  values: Pick<Charge, 'orderId' | 'amount' | 'paymentMethodId' | 'receiptEmail' | 'attemptExpiresAt'>,
): Promise<Charge> {
  const [charge] = await tx
    .insert(charges)
    .values({ ...values, status: ChargeStatus.Created })
    .returning();
  if (!charge) throw new Error('insert into charges returned no row');
  return charge;
}

/**
 * A new attempt resumes the charge: it is in flight until `until`, and its last attempt is now (the
 * settlement backstop ages it from here).
 */
export async function resumeAttempt(tx: Executor, id: string, until: Date): Promise<void> {
  const now = new Date();
  await tx
    .update(charges)
    .set({ attemptExpiresAt: until, lastAttemptAt: now, updatedAt: now })
    .where(eq(charges.id, id));
}

/** The request to Stripe for this charge is over: no attempt is in flight. */
export async function releaseAttemptLease(db: Executor, id: string): Promise<void> {
  await db.update(charges).set({ attemptExpiresAt: null, updatedAt: new Date() }).where(eq(charges.id, id));
}

/** What a charge settles to: completed with its PaymentIntent, or failed for a reason. */
export type ChargeOutcome =
  | { status: typeof ChargeStatus.Completed; stripeId: string }
  | {
      status: typeof ChargeStatus.Failed;
      failureKind: ChargeFailureKind;
      /** The PaymentIntent (or request) id; null when Stripe never received the request. */
      stripeId: string | null;
      failureMessage: string;
    };

/**
 * Moves a charge from created to its outcome, in one statement. Only a created charge moves: when the
 * HTTP answer and a webhook report the same outcome, the second finds it settled and changes nothing
 * (resolves to undefined).
 */
export async function settleCharge(tx: Executor, id: string, outcome: ChargeOutcome): Promise<Charge | undefined> {
  const [charge] = await tx
    .update(charges)
    .set({ ...outcome, attemptExpiresAt: null, updatedAt: new Date() })
    .where(and(eq(charges.id, id), eq(charges.status, ChargeStatus.Created)))
    .returning();
  return charge;
}

/** Stores the refund of a charge (and, for a charge that never learnt it, the PaymentIntent refunded). */
export async function setRefund(
  tx: Executor,
  id: string,
  refund: { stripeRefundId: string; stripeId?: string },
): Promise<Charge> {
  const [charge] = await tx
    .update(charges)
    .set({ ...refund, updatedAt: new Date() })
    .where(eq(charges.id, id))
    .returning();
  if (!charge) throw new Error(`charge ${id} vanished while being refunded`);
  return charge;
}
