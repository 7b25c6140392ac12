import { eq, lt, sql } from 'drizzle-orm';
import { preparedStatement, type Executor } from '@ticketing/common/database';
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
  const [order] = await selectOrderForUpdate(tx, { id });
  return order;
}

// The statements below run for every order event: prepared once per connection (see preparedStatement).
const selectOrderForUpdate = preparedStatement('payments_select_order_for_update', (db) =>
  db
    .select()
    .from(orders)
    .where(eq(orders.id, sql.placeholder('id')))
    .for('update'),
);

/**
 * Inserts the first version of an order; does nothing when it is already there. Resolves to true when it
 * inserted the row (which its transaction then holds locked, like any row it wrote).
 */
export async function insertOrder(tx: Executor, order: OrderReplica): Promise<boolean> {
  const inserted = await insertOrderUnlessKnown(tx, {
    ...order,
    // Raw placeholders take driver values: what Drizzle's columns would have made of these.
    startsAt: order.startsAt?.toISOString() ?? null,
    traceContext: order.traceContext === null ? null : JSON.stringify(order.traceContext),
  });
  return inserted.length > 0;
}

const insertOrderUnlessKnown = preparedStatement('payments_insert_order', (db) =>
  db
    .insert(orders)
    .values({
      id: sql`${sql.placeholder('id')}`,
      userId: sql`${sql.placeholder('userId')}`,
      status: sql`${sql.placeholder('status')}`,
      price: sql`${sql.placeholder('price')}`,
      version: sql`${sql.placeholder('version')}`,
      startsAt: sql`${sql.placeholder('startsAt')}`,
      traceContext: sql`${sql.placeholder('traceContext')}`,
    })
    .onConflictDoNothing({ target: orders.id })
    .returning({ id: orders.id }),
);

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
