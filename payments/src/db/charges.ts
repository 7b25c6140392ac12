import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { ChargeStatus, type Executor } from '@ticketing/common';
import { ChargeFailureKind, charges, type Charge } from './schema';

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
  return tx
    .select()
    .from(charges)
    .where(
      and(eq(charges.orderId, orderId), eq(charges.status, ChargeStatus.Completed), isNull(charges.stripeRefundId)),
    )
    .for('update');
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

/** Marks (or clears, with null) the time until which a request to Stripe for this charge is in flight. */
export async function setAttemptExpiry(db: Executor, id: string, until: Date | null): Promise<void> {
  await db.update(charges).set({ attemptExpiresAt: until, updatedAt: new Date() }).where(eq(charges.id, id));
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

export async function setRefund(tx: Executor, id: string, stripeRefundId: string): Promise<Charge> {
  const [charge] = await tx
    .update(charges)
    .set({ stripeRefundId, updatedAt: new Date() })
    .where(eq(charges.id, id))
    .returning();
  if (!charge) throw new Error(`charge ${id} vanished while being refunded`);
  return charge;
}
