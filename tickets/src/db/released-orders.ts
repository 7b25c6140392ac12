import { eq, sql } from 'drizzle-orm';
import { preparedStatement, type Executor } from '@ticketing/common/database';
import { releasedOrders } from './schema';

/**
 * Remembers that an order was cancelled, and the order it handed the ticket to when the release says so;
 * recording it again is harmless, and a later record without a hand-over (a restatement) keeps the one
 * known. Resolves to the hand-over known for the order after this record.
 */
export async function recordReleasedOrder(
  db: Executor,
  orderId: string,
  handedOverTo?: string,
): Promise<{ handedOverTo: string | null }> {
  const [row] = await upsertReleasedOrder(db, { orderId, handedOverTo: handedOverTo ?? null });
  if (!row) throw new Error(`recording released order ${orderId} returned no row`);
  return row;
}

export async function isOrderReleased(db: Executor, orderId: string): Promise<boolean> {
  return (await findReleasedOrder(db, orderId)) !== undefined;
}

/** The release of an order, if this service has seen it, with the order it handed the ticket to. */
export async function findReleasedOrder(
  db: Executor,
  orderId: string,
): Promise<{ handedOverTo: string | null } | undefined> {
  const [row] = await selectReleasedOrder(db, { orderId });
  return row;
}

// Both run for every order event of every ticket: prepared once per connection (see preparedStatement).
const upsertReleasedOrder = preparedStatement('tickets_record_released_order', (db) =>
  db
    .insert(releasedOrders)
    .values({ orderId: sql.placeholder('orderId'), handedOverTo: sql.placeholder('handedOverTo') })
    .onConflictDoUpdate({
      target: releasedOrders.orderId,
      set: { handedOverTo: sql`coalesce(${releasedOrders.handedOverTo}, excluded.handed_over_to)` },
    })
    .returning({ handedOverTo: releasedOrders.handedOverTo }),
);

const selectReleasedOrder = preparedStatement('tickets_select_released_order', (db) =>
  db
    .select({ handedOverTo: releasedOrders.handedOverTo })
    .from(releasedOrders)
    .where(eq(releasedOrders.orderId, sql.placeholder('orderId'))),
);
