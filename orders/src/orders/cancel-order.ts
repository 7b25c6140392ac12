import { OrderStatus } from '@ticketing/common';
import { transitionOrder } from '../db/orders';
import type { Order } from '../db/schema';
import { handOverTicket, type HandOver } from './hand-over-ticket';
import { heldTickets } from './held-tickets';
import { UNPAID, whyNotTransitioned } from './order-transitions';
import type { ReservationTerms } from './reservation-terms';
import { within, type WriteScope } from './write-scope';

export type CancelOutcome =
  | { result: 'cancelled'; order: Order; handOver: HandOver }
  | { result: 'already-cancelled'; order: Order }
  | { result: 'complete'; order: Order }
  | { result: 'not-found' };

/**
 * Cancels an unpaid order, which releases its ticket, and records `order.cancelled` with the new version;
 * in the same transaction the ticket goes to the first eligible buyer in its waiting list, under `terms`
 * (see handOverTicket). Safe to call any number of times and from anywhere at once (buyer, expiry, declined
 * payment, sweep): only the call whose conditional update wins changes the order and records the events. A
 * complete order is sold and stays complete; the caller decides whether that is an error.
 */
export async function cancelOrder(scope: WriteScope, orderId: string, terms: ReservationTerms): Promise<CancelOutcome> {
  return within(scope, async (tx, events) => {
    const cancelled = await transitionOrder(tx, orderId, UNPAID, OrderStatus.Cancelled);
    if (cancelled) {
      heldTickets.forget(cancelled.ticketId);
      await events.record('order.cancelled', {
        id: cancelled.id,
        ticket: { id: cancelled.ticketId },
        version: cancelled.version,
      });
      const handOver = await handOverTicket(tx, events, cancelled, terms);
      if (handOver.order) heldTickets.remember(cancelled.ticketId);
      return { result: 'cancelled', order: cancelled, handOver };
    }
    return whyNotTransitioned(tx, orderId, {
      [OrderStatus.Cancelled]: 'already-cancelled',
      [OrderStatus.Complete]: 'complete',
    });
  });
}
