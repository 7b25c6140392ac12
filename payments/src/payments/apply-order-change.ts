import type Stripe from 'stripe';
import { OrderStatus, type EventData } from '@ticketing/common/events';
import { RetryLaterError } from '@ticketing/common/bus';
import { currentTraceCarrier } from '@ticketing/common/observability';
import { decideVersion } from '@ticketing/common/versions';
import { type Executor } from '@ticketing/common/database';
import { cancelOrderAndLockCharges } from '../db/cancel-order';
import { insertOrder, lockOrder, saveOrderState } from '../db/orders';
import type { Charge, OrderReplica } from '../db/schema';
import { refundCancelledOrder, refundLockedCharges } from './refund-cancelled-orders';

/** An order's whole state, as orders publishes it on creation and when it restates it. */
type OrderState = EventData<'order.created' | 'order.restated'>;

/** What payments learns about an order from the orders service, which owns it. */
export type OrderChange =
  /** order.created: version 0 of a new order. */
  | { kind: 'created'; order: OrderState }
  /** order.cancelled: the order's next version is cancelled (applied on version N−1 only). */
  | { kind: 'cancelled'; orderId: string; version: number }
  /**
   * order.restated: the order's whole state at its version, a backstop for a replica that missed an
   * event. Applied over any older version (the payload is the whole state, gaps do not matter).
   */
  | { kind: 'restated'; order: OrderState };

export interface AppliedOrderChange {
  /** False when the replica already held this version or a later one: nothing changed. */
  applied: boolean;
  /** Charges refunded because the change left the order cancelled. */
  refunded: Charge[];
}

const NOTHING_CHANGED: AppliedOrderChange = { applied: false, refunded: [] };

/**
 * Applies what orders tells about an order to payments' replica, inside the listener's transaction, and
 * makes the money follow: once the order is cancelled, its completed charges are refunded (see
 * refundCancelledOrder) in the same transaction. If Stripe fails, nothing is kept and the event is
 * retried; the refund's idempotency key makes that safe.
 *
 * The order's row lock is taken first (by the statement that writes it, for a new order and a cancellation,
 * the two that every order brings): a payment of the same order either committed its charge before
 * (and it is refunded here) or sees the order cancelled after (and charges nothing, or refunds at once).
 * An event that cannot be applied yet (a cancellation before its order is known, a version gap) throws
 * RetryLaterError.
 */
export async function applyOrderChange(tx: Executor, stripe: Stripe, change: OrderChange): Promise<AppliedOrderChange> {
  if (change.kind === 'created' && change.order.version === 0) return applyCreation(tx, stripe, change.order);
  if (change.kind === 'cancelled') return applyCancellation(tx, stripe, change);
  const orderId = change.order.id;
  const current = await lockOrder(tx, orderId);
  if (!(await writeReplica(tx, current, change))) return NOTHING_CHANGED;
  return { applied: true, refunded: await refundCancelledOrder(tx, stripe, orderId) };
}

/**
 * order.created, version 0 of a new order, in one statement: inserted when the replica does not hold the
 * order; a replica that holds it holds version 0 or later (a duplicate), and the insert does nothing.
 */
async function applyCreation(tx: Executor, stripe: Stripe, order: OrderState): Promise<AppliedOrderChange> {
  const replica = replicaOf(order);
  if (!(await insertOrder(tx, replica))) return NOTHING_CHANGED;
  // A new order has no charge yet; cancelled already, it goes through the one refund decision all the same.
  const refunded = replica.status === OrderStatus.Cancelled ? await refundCancelledOrder(tx, stripe, order.id) : [];
  return { applied: true, refunded };
}

/**
 * order.cancelled: applied on version N−1 only, in one statement that also takes the row lock. When it
 * matches no row, the replica is read under its lock to tell an early event from a duplicate.
 */
async function applyCancellation(
  tx: Executor,
  stripe: Stripe,
  change: Extract<OrderChange, { kind: 'cancelled' }>,
): Promise<AppliedOrderChange> {
  // The cancel and, under the order's row lock it takes, the charges to refund: one round trip.
  const { cancelled, charges } = await cancelOrderAndLockCharges(tx, change.orderId, change.version);
  if (!cancelled) {
    const current = await lockOrder(tx, change.orderId);
    // A cancellation carries no buyer or price: before its order.created there is nothing to apply it to.
    if (!current) throw earlyError(change.orderId, change.version);
    const decision = decideVersion(current.version, change.version);
    if (decision === 'duplicate') return NOTHING_CHANGED;
    if (decision === 'early') throw earlyError(change.orderId, change.version);
    // Version N−1 and still no match: the row changed between the two statements; the event is retried.
    throw new Error(`order ${change.orderId} changed while its cancellation was applied`);
  }
  // This transaction holds the row lock and has just cancelled the order: its money goes back.
  return { applied: true, refunded: await refundLockedCharges(tx, stripe, charges) };
}

/** Writes a creation of a later version, or a restatement, onto the replica; resolves to false when it was already there. */
async function writeReplica(
  tx: Executor,
  current: OrderReplica | undefined,
  change: Exclude<OrderChange, { kind: 'cancelled' }>,
): Promise<boolean> {
  switch (change.kind) {
    case 'created': {
      const decision = decideVersion(current?.version, change.order.version);
      if (decision === 'early') throw earlyError(change.order.id, change.order.version);
      if (decision === 'duplicate') return false;
      // Does nothing if an order.restated inserted the order meanwhile: its state is as new or newer.
      await insertOrder(tx, replicaOf(change.order));
      return true;
    }
    case 'restated': {
      if (current && current.version >= change.order.version) return false;
      return (await saveOrderState(tx, replicaOf(change.order))) !== undefined;
    }
  }
}

function replicaOf(order: OrderState): OrderReplica {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    price: order.ticket.price,
    version: order.version,
    startsAt: order.ticket.startsAt ? new Date(order.ticket.startsAt) : null,
    // Where the order was heard, under its reservation's trace (tracing on): paying it continues that trace.
    traceContext: currentTraceCarrier() ?? null,
  };
}

function earlyError(orderId: string, version: number): RetryLaterError {
  return new RetryLaterError(`order ${orderId} version ${version} is early`);
}
