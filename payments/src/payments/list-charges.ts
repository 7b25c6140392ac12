import { ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import { listChargesOfOrder } from '../db/charges';
import { findOrder } from '../db/orders';
import { toChargeView, type ChargeView } from './charge-view';

/** The charges of one of the caller's orders, newest first: what a receipt page shows after a reload. */
export async function listChargesOfBuyerOrder(db: Executor, userId: string, orderId: string): Promise<ChargeView[]> {
  const order = await findOrder(db, orderId);
  if (!order) throw new NotFoundError('Order not found');
  if (order.userId !== userId) throw new ForbiddenError('You did not place this order');
  return (await listChargesOfOrder(db, orderId)).map(toChargeView);
}
