import { OrderStatus } from '@ticketing/common';
import { transitionOrder } from '../db/orders';
import type { Order } from '../db/schema';
import { heldTickets } from './held-tickets';
import { UNPAID, whyNotTransitioned } from './order-transitions';
import { within, type WriteScope } from './write-scope';

export type CancelOutcome =
  | { result: 'cancelled'; order: Order }
  | { result: 'already-cancelled'; order: Order }
  | { result: 'complete'; order: Order }
  | { result: 'not-found' };

/**
 * Cancels an unpaid order, which releases its ticket, and records `order.cancelled` with the new version.
 * Safe to call any number of times and from anywhere at once (buyer, expiry, declined payment, sweep):
 * only the call whose conditional update wins changes the order and records the event. A complete order
 * is sold and stays complete; the caller decides whether that is an error.
 */
export async function cancelOrder(scope: WriteScope, orderId: string): Promise<CancelOutcome> {
  return within(scope, async (tx, events) => {
    const cancelled = await transitionOrder(tx, orderId, UNPAID, OrderStatus.Cancelled);
    if (cancelled) {
      heldTickets.forget(cancelled.ticketId);
      await events.record('order.cancelled', {
        id: cancelled.id,
        ticket: { id: cancelled.ticketId },
        version: cancelled.version,
      });
      return { result: 'cancelled', order: cancelled };
    }
    return whyNotTransitioned(tx, orderId, {
      [OrderStatus.Cancelled]: 'already-cancelled',
      [OrderStatus.Complete]: 'complete',
    });
  });
}
