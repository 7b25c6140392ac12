import { OrderStatus, type CancellationReason } from '@ticketing/common/events';
import { cancelOrderInOne } from '../db/settle-order';
import type { Order } from '../db/schema';
import { handOverTicket, PLACES_PER_READ, type HandOver } from './hand-over-ticket';
import type { ReservationMemory } from './reservation-memory';
import { toOrderState } from './order-payload';
import { UNPAID, whyNotTransitioned } from './order-transitions';
import type { ReservationTerms } from './reservation-terms';
import { within, type WriteScope } from '@ticketing/common/outbox';

export type CancelOutcome =
  | { result: 'cancelled'; order: Order; handOver: HandOver }
  | { result: 'already-cancelled'; order: Order }
  | { result: 'complete'; order: Order }
  | { result: 'not-found' };

/**
 * Cancels an unpaid order, which releases its ticket, and records `order.cancelled` with the new version and
 * `reason`;
 * in the same transaction the ticket goes to the first eligible buyer in its waiting list, under `terms`
 * (see handOverTicket): `order.cancelled` names that buyer's new order, whose `order.created` follows. Safe
 * to call any number of times and from anywhere at once (buyer, expiry, declined payment, sweep): only the call
 * whose conditional update wins changes the order and records the events. A complete order is sold and stays
 * complete; the caller decides whether that is an error.
 */
export async function cancelOrder(
  scope: WriteScope,
  { heldTickets }: Pick<ReservationMemory, 'heldTickets'>,
  orderId: string,
  terms: ReservationTerms,
  reason: CancellationReason,
): Promise<CancelOutcome> {
  return within(scope, async (tx, events) => {
    // The lock order (docs/rules.md#lock-order): the ticket's row before its order's. Applying a withdrawal
    // holds the ticket's row and then cancels its order; a cancel taking the order first and the ticket
    // second (for the hand-over) would close a cycle with it, a deadlock. An order's ticket never changes,
    // so the order is read without a lock, in the statement that locks its ticket. The line's lock, the
    // cancel and the first places of the line go as one text: one round trip (cancelOrderInOne).
    const { ticket, order: cancelled, firstPlaces } = await cancelOrderInOne(tx, orderId, UNPAID, PLACES_PER_READ);
    if (!ticket) return { result: 'not-found' };
    if (cancelled) {
      heldTickets.forget(cancelled.ticketId);
      const handOver = await handOverTicket(tx, cancelled, ticket, terms, firstPlaces);
      // The release names the order it hands the ticket to: tickets moves its lock from one to the other in
      // one step (docs/rules.md#rule-4), and the new order's own order.created follows it.
      await events.record('order.cancelled', {
        id: cancelled.id,
        ticket: { id: cancelled.ticketId },
        version: cancelled.version,
        ...(handOver.order && { handedOverTo: { id: handOver.order.id } }),
        reason,
      });
      if (handOver.order) {
        await events.record('order.created', toOrderState(handOver.order, ticket));
        heldTickets.remember(cancelled.ticketId);
      }
      return { result: 'cancelled', order: cancelled, handOver };
    }
    return whyNotTransitioned(tx, orderId, {
      [OrderStatus.Cancelled]: 'already-cancelled',
      [OrderStatus.Complete]: 'complete',
    });
  });
}
