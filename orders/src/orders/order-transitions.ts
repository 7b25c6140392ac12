import { OrderStatus } from '@ticketing/common/events';
import { type Executor } from '@ticketing/common/database';
import { findOrder } from '../db/orders';
import type { Order } from '../db/schema';

/** Statuses an order can still leave: it holds the ticket and is not paid yet. */
export const UNPAID: readonly OrderStatus[] = [OrderStatus.Created];

/**
 * After a conditional update matched nothing: the order is unknown, or in a terminal status. It cannot be
 * unpaid here, since nothing moves an order back to an unpaid status.
 */
export async function whyNotTransitioned<R extends string>(
  tx: Executor,
  orderId: string,
  outcomes: Record<typeof OrderStatus.Cancelled | typeof OrderStatus.Complete, R>,
): Promise<{ result: R; order: Order } | { result: 'not-found' }> {
  const order = await findOrder(tx, orderId);
  if (!order) return { result: 'not-found' };
  if (order.status === OrderStatus.Cancelled || order.status === OrderStatus.Complete) {
    return { result: outcomes[order.status], order };
  }
  throw new Error(`order ${orderId} is ${order.status} yet its conditional update matched nothing`);
}
