import type { EventRecorder } from '@ticketing/common/outbox';
import type { Executor } from '@ticketing/common/database';
import { lockRowAndTakeForOrder } from '../db/order-locks';
import { isOrderReleased } from '../db/released-orders';
import { toTicketPayload } from './ticket-payload';

/**
 * The tickets service mirrors the lock that orders decides (docs/rules.md#rule-4). `order.created` and
 * `order.cancelled` arrive on different consumers in no guaranteed order, so lockTicket and unlockTicket
 * (unlock-ticket.ts) both first take the ticket's row lock: whichever runs second waits, then sees the
 * first one's committed work (the lock it must clear, or the released order it must not lock for).
 */

/** What `order.created` did to the ticket. */
export type LockOutcome =
  /** The ticket is now held by the order: version+1 and `ticket.updated` recorded. */
  | 'locked'
  /** Already held by this order (a repeated event): nothing changed. */
  | 'already-locked'
  /** The order's cancellation arrived first: the ticket stays for sale. */
  | 'order-released'
  /**
   * The seller withdrew the ticket before the order reached here: it stays off sale, and orders cancels the
   * order when the withdrawal reaches it (apply-ticket-change.ts in orders).
   */
  | 'ticket-withdrawn'
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
  // The row lock and, under it, the common case (lock it for the order unless the order was released): one
  // round trip.
  const { ticket, taken } = await lockRowAndTakeForOrder(tx, order.ticketId, order.id);
  if (taken) {
    await events.record('ticket.updated', toTicketPayload(taken));
    return 'locked';
  }
  if (ticket && ticket.orderId === null && ticket.withdrawnAt === null) {
    if (await isOrderReleased(tx, order.id)) return 'order-released';
    // We held the row lock for both statements, so the ticket cannot have moved; a miss would be a bug, not a race.
    throw new Error(`ticket ${ticket.id} changed under its row lock`);
  }
  if (await isOrderReleased(tx, order.id)) return 'order-released';
  if (!ticket) return 'unknown-ticket';
  if (ticket.orderId === order.id) return 'already-locked';
  if (ticket.withdrawnAt !== null) return 'ticket-withdrawn';
  return 'held-by-another-order';
}
