import type { Executor } from '@ticketing/common/database';
import { listOrdersOfUser } from '../db/orders';
import { toOrderView, type OrderView } from './order-view';

/** The buyer's orders, newest first, each with its ticket. */
export async function listBuyerOrders(db: Executor, buyerId: string): Promise<OrderView[]> {
  const rows = await listOrdersOfUser(db, buyerId);
  return rows.map((row) => toOrderView(row.order, row.ticket));
}
