import { OrderStatus, type EventRecorder, type Executor } from '@ticketing/common';
import { findTicketForUpdate, updateTicket } from '../db/tickets';
import { isOrderReleased, recordReleasedOrder } from '../db/released-orders';
import { toTicketPayload } from './tickets';

/**
 * The tickets service mirrors the lock that orders decides (DESIGN.md rule 4). `order.created` and
 * `order.cancelled` arrive on different consumers in no guaranteed order, so both functions first take
 * the ticket's row lock: whichever runs second waits, then sees the first one's committed work (the lock
 * it must clear, or the released order it must not lock for).
 */

/** What `order.created` did to the ticket. */
export type LockOutcome =
  /** The ticket is now held by the order: version+1 and `ticket.updated` recorded. */
  | 'locked'
  /** Already held by this order (a repeated event): nothing changed. */
  | 'already-locked'
  /** The order's cancellation arrived first: the ticket stays for sale. */
  | 'order-released'
  /** Another order holds the ticket; its cancellation is on its way (orders allows one live order). */
  | 'held-by-another-order'
  /** The ticket is not known here (yet). */
  | 'unknown-ticket';

/** Locks the ticket for a newly created order, unless the order is already cancelled. */
export async function lockTicket(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string },
): Promise<LockOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  if (await isOrderReleased(tx, order.id)) return 'order-released';
  if (!ticket) return 'unknown-ticket';
  if (ticket.orderId === order.id) return 'already-locked';
  if (ticket.orderId !== null) return 'held-by-another-order';
  const locked = await updateTicket(tx, ticket.id, ticket.version, { orderId: order.id });
  // We hold the row lock, so the version cannot have moved; a miss would be a bug, not a race.
  if (!locked) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(locked));
  return 'locked';
}

/** What `order.cancelled` did to the ticket. */
export type UnlockOutcome = 'unlocked' | 'not-held-by-order';

/**
 * Remembers the cancelled order (so a late `order.created` never locks for it) and frees the ticket, but
 * only if this very order still holds it: a later order may hold it already.
 */
export async function unlockTicket(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string },
): Promise<UnlockOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  await recordReleasedOrder(tx, order.id);
  if (!ticket || ticket.orderId !== order.id) return 'not-held-by-order';
  const unlocked = await updateTicket(tx, ticket.id, ticket.version, { orderId: null });
  if (!unlocked) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(unlocked));
  return 'unlocked';
}

/** What `order.completed` did to the ticket. */
export type SaleOutcome =
  /** Marked sold: version+1 and `ticket.updated` recorded. */
  | 'sold'
  /** Already sold to this order (a repeated event): nothing changed. */
  | 'already-sold'
  /** The ticket does not show this order's lock yet: its `order.created` is still on its way. */
  | 'not-locked-by-order-yet'
  | 'unknown-ticket';

/** Marks the ticket sold to the order that paid for it. A complete order is never cancelled, so this is final. */
export async function markTicketSold(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string },
): Promise<SaleOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  if (!ticket) return 'unknown-ticket';
  if (ticket.orderId !== order.id) return 'not-locked-by-order-yet';
  if (ticket.soldAt !== null) return 'already-sold';
  const sold = await updateTicket(tx, ticket.id, ticket.version, { soldAt: new Date() });
  if (!sold) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(sold));
  return 'sold';
}

/** What `order.restated` did to the ticket: the outcome of the step it took, if any. */
export type ReconcileOutcome = LockOutcome | UnlockOutcome | SaleOutcome;

/**
 * Brings the ticket in line with an order's state as orders restated it: an unpaid order holds the ticket
 * (unless it was released since), a cancelled one does not, a complete one has bought it. Each step is the
 * one the order's own event takes, so applying a restatement any number of times, before or after those
 * events, ends in the same place.
 */
export async function reconcileTicketWithOrder(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string; status: OrderStatus },
): Promise<ReconcileOutcome> {
  switch (order.status) {
    case OrderStatus.Created:
    case OrderStatus.AwaitingPayment:
      return lockTicket(tx, events, order);
    case OrderStatus.Cancelled:
      return unlockTicket(tx, events, order);
    case OrderStatus.Complete: {
      // A sale whose order.created never arrived: the paid order holds the ticket first, then buys it.
      const locked = await lockTicket(tx, events, order);
      if (locked === 'held-by-another-order' || locked === 'unknown-ticket') return locked;
      return markTicketSold(tx, events, order);
    }
    default: {
      const unknown: never = order.status;
      throw new Error(`unknown order status ${String(unknown)}`);
    }
  }
}
