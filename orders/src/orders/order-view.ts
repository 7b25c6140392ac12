import { decimalFromCents } from '@ticketing/common/money';
import type { Order as ApiOrder } from '@ticketing/common/api';
import type { Order, TicketReplica } from '../db/schema';

/** An order as the API shows it (docs/openapi.yaml): the price a decimal, the deadline an ISO string. */
export type OrderView = ApiOrder;

/** The ticket's price as the order shows it is the price the order was placed at, never the replica's current one. */
export function toOrderView(order: Order, ticket: TicketReplica): OrderView {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: ticket.id, title: ticket.title, price: decimalFromCents(order.price) },
    version: order.version,
    createdAt: order.createdAt.toISOString(),
  };
}
