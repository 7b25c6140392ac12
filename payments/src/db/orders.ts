import { and, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import type { OrderStatus } from '@ticketing/common/events';
import { orders, type OrderReplica } from './schema';

export async function findOrder(db: Executor, id: string): Promise<OrderReplica | undefined> {
  const [order] = await db.select().from(orders).where(eq(orders.id, id));
  return order;
}

/** Whether the replica holds the order (a lookup by primary key). */
export async function orderIsKnown(db: Executor, id: string): Promise<boolean> {
  const [row] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, id));
  return row !== undefined;
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

/** Applies the owner's version `version` on top of `previousVersion` (docs/rules.md#rule-3). */
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

/**
 * A state transfer (order.restated): writes the order's status at `order.version` when the replica does
 * not hold it yet or holds an older version, in one statement, so an order.created racing it can never
 * overwrite the newer state. Resolves to the row when it was written, undefined when the replica was
 * already at that version or past it. The buyer and price never change for an order: an existing row
 * keeps them (and its event start, unless the replica did not know it yet).
 */
export async function saveOrderState(tx: Executor, order: OrderReplica): Promise<OrderReplica | undefined> {
  const [saved] = await tx
    .insert(orders)
    .values(order)
    .onConflictDoUpdate({
      target: orders.id,
      // An event from before orders carried the start says nothing about it: the start already known stays.
      set: {
        status: sql`excluded.status`,
        version: sql`excluded.version`,
        startsAt: sql`coalesce(excluded.starts_at, ${orders.startsAt})`,
      },
      setWhere: lt(orders.version, sql`excluded.version`),
    })
    .returning();
  return saved;
}
