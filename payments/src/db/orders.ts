import { and, eq } from 'drizzle-orm';
import type { Executor, OrderStatus } from '@ticketing/common';
import { orders, type OrderReplica } from './schema';

export async function findOrder(db: Executor, id: string): Promise<OrderReplica | undefined> {
  const [order] = await db.select().from(orders).where(eq(orders.id, id));
  return order;
}

/**
 * Reads an order and locks its row until the transaction ends. Every path that decides about money for an
 * order (a payment, its completion, a cancellation) takes this lock first, so they run one after another.
 */
export async function lockOrder(tx: Executor, id: string): Promise<OrderReplica | undefined> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, id)).for('update');
  return order;
}

/** Inserts the first version of an order; does nothing when it is already there. */
export async function insertOrder(tx: Executor, order: OrderReplica): Promise<void> {
  await tx.insert(orders).values(order).onConflictDoNothing({ target: orders.id });
}

/** Applies the owner's version `version` on top of `previousVersion` (DESIGN.md rule 3). */
export async function updateOrder(
  tx: Executor,
  id: string,
  previousVersion: number,
  changes: { status: OrderStatus; version: number },
): Promise<OrderReplica | undefined> {
  const [order] = await tx
    .update(orders)
    .set(changes)
    .where(and(eq(orders.id, id), eq(orders.version, previousVersion)))
    .returning();
  return order;
}
