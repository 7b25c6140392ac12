import { eq } from 'drizzle-orm';
import type { Executor } from '@ticketing/common';
import { releasedOrders } from './schema';

/** Remembers that an order was cancelled; recording it twice is harmless. */
export async function recordReleasedOrder(db: Executor, orderId: string): Promise<void> {
  await db.insert(releasedOrders).values({ orderId }).onConflictDoNothing();
}

export async function isOrderReleased(db: Executor, orderId: string): Promise<boolean> {
  const [row] = await db
    .select({ orderId: releasedOrders.orderId })
    .from(releasedOrders)
    .where(eq(releasedOrders.orderId, orderId));
  return row !== undefined;
}
