import { OrderStatus } from '@ticketing/common/events';
import type { Order } from '../db/schema';
import { completeOrderInOne } from '../db/settle-order';
import { UNPAID, whyNotTransitioned } from './order-transitions';
import { within, type WriteScope } from '@ticketing/common/outbox';

export type CompleteOutcome =
  | { result: 'completed'; order: Order }
  | { result: 'already-complete'; order: Order }
  | { result: 'cancelled'; order: Order }
  | { result: 'not-found' };

/**
 * Marks an unpaid order paid and records `order.completed`: the ticket is sold to its buyer for good, and
 * its waiting list is closed (nobody in it can ever be handed the ticket). Terminal. An order cancelled
 * meanwhile stays cancelled: the payments service refunds that charge (docs/rules.md#rule-5), because the
 * ticket may already be someone else's.
 */
export async function completeOrder(scope: WriteScope, orderId: string): Promise<CompleteOutcome> {
  return within(scope, async (tx, events) => {
    // The lock order (docs/rules.md#lock-order): the ticket's row before its order's, as a cancel takes them.
    // Holding the line's lock also keeps a join from slipping a place into the line this closes. The lock, the
    // completion and the line's closing go as one text: one round trip (completeOrderInOne).
    const { ticket, order: completed } = await completeOrderInOne(tx, orderId, UNPAID);
    if (!ticket) return { result: 'not-found' };
    if (completed) {
      await events.record('order.completed', {
        id: completed.id,
        // Who owns the ticket now and what they paid: tickets caps a resale at that price.
        userId: completed.userId,
        ticket: { id: completed.ticketId, price: completed.price },
        version: completed.version,
      });
      return { result: 'completed', order: completed };
    }
    return whyNotTransitioned(tx, orderId, {
      [OrderStatus.Complete]: 'already-complete',
      [OrderStatus.Cancelled]: 'cancelled',
    });
  });
}
