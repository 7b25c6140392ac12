import type { EventData } from '@ticketing/common';
import type { Order } from '../db/schema';

/** An order's whole state as orders publishes it (order.created, order.restated). */
export function toOrderState(order: Order): EventData<'order.restated'> {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: order.ticketId, price: order.price },
    version: order.version,
  };
}
