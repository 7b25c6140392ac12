import { decimalFromCents, type OrderStatus } from '@ticketing/common';
import type { Order, TicketReplica } from '../db/schema';

/** An order as the API shows it: the price a decimal, the deadline an ISO string. */
export interface OrderView {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: string;
  ticket: { id: string; title: string; price: number };
  version: number;
  /** When the buyer placed it (ISO 8601): what "my orders" sorts and dates by. */
  createdAt: string;
}

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
