import { ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import { findOrderWithTicket } from '../db/orders';
import type { Order } from '../db/schema';
import { toOrderView, type OrderView } from './order-view';

/** One of the buyer's orders: 404 when unknown, 403 when it is someone else's. */
export async function showBuyerOrder(db: Executor, buyerId: string, orderId: string): Promise<OrderView> {
  const row = await findOrderWithTicket(db, orderId);
  if (!row) throw new NotFoundError('Order not found');
  assertBuyerOwns(row.order, buyerId);
  return toOrderView(row.order, row.ticket);
}

/** 403 unless the order is the buyer's: reading and cancelling it alike. */
export function assertBuyerOwns(order: Pick<Order, 'userId'>, buyerId: string): void {
  if (order.userId !== buyerId) throw new ForbiddenError('You do not own this order');
}
