import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { runPeriodically, type PeriodicTask } from '@ticketing/common/service';
import { type Logger } from '@ticketing/common/logging';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { orders, restatementCursor, tickets } from '../db/schema';
import { toOrderState } from './order-payload';

const CURSOR = 'order.restated';

export interface RestateOptions {
  /** How long after its last change an order is restated: its own events have had their chance by then. */
  settleSeconds: number;
  now?: Date;
  batchSize?: number;
}

/**
 * The reconciliation backstop (docs/rules.md#rule-7): restates every order once, `settleSeconds` after it last
 * changed, as `order.restated` carrying its whole state. Tickets and payments apply it as a state transfer,
 * so a replica that missed one of the order's events (dead-lettered, or a bug) converges without a person.
 *
 * Orders are walked by (updated_at, id) from a cursor kept in the database, in the same transaction as the
 * events recorded, so a crash restates nothing twice and skips nothing; its row lock keeps two replicas
 * from walking at once. An order that changes again later is restated again after that change. Resolves
 * to how many orders this call restated.
 */
export async function restateSettledOrders(
  unitOfWork: UnitOfWork,
  { settleSeconds, now = new Date(), batchSize = 500 }: RestateOptions,
): Promise<number> {
  const settledBefore = new Date(now.getTime() - settleSeconds * 1000);
  let restated = 0;
  for (;;) {
    const batch = await unitOfWork.transaction(async (tx, events) => {
      await tx
        .insert(restatementCursor)
        .values({ name: CURSOR, updatedAt: new Date(0), orderId: '00000000-0000-0000-0000-000000000000' })
        .onConflictDoNothing();
      // The position is compared and moved in SQL only: a JavaScript Date would cut PostgreSQL's
      // microseconds, and orders sharing a millisecond would then be restated again and again.
      await tx.select().from(restatementCursor).where(eq(restatementCursor.name, CURSOR)).for('update');
      const position = sql`(SELECT ${restatementCursor.updatedAt}, ${restatementCursor.orderId} FROM ${restatementCursor} WHERE ${restatementCursor.name} = ${CURSOR})`;
      // With its ticket's event start, which the order's state carries (the order's foreign key keeps the ticket).
      const changed = await tx
        .select({ order: orders, startsAt: tickets.startsAt })
        .from(orders)
        .innerJoin(tickets, eq(tickets.id, orders.ticketId))
        .where(and(sql`(${orders.updatedAt}, ${orders.id}) > ${position}`, lte(orders.updatedAt, settledBefore)))
        .orderBy(asc(orders.updatedAt), asc(orders.id))
        .limit(batchSize);
      for (const { order, startsAt } of changed) {
        await events.record('order.restated', toOrderState(order, { startsAt }));
      }
      const last = changed.at(-1)?.order;
      if (last) {
        await tx
          .update(restatementCursor)
          .set({
            updatedAt: sql`(SELECT ${orders.updatedAt} FROM ${orders} WHERE ${orders.id} = ${last.id})`,
            orderId: last.id,
          })
          .where(eq(restatementCursor.name, CURSOR));
      }
      return changed.length;
    });
    restated += batch;
    if (batch < batchSize) return restated;
  }
}

export interface OrderRestatementOptions {
  intervalSeconds: number;
  settleSeconds: number;
  logger: Logger;
}

/** Restates settled orders every ORDER_RESTATE_INTERVAL_SECONDS. */
export function startOrderRestatement(
  unitOfWork: UnitOfWork,
  { intervalSeconds, settleSeconds, logger }: OrderRestatementOptions,
): PeriodicTask {
  return runPeriodically(
    'order restatement',
    intervalSeconds * 1000,
    async () => {
      const restated = await restateSettledOrders(unitOfWork, { settleSeconds });
      if (restated > 0) logger.info({ restated }, 'orders restated for the replicas');
    },
    logger,
  );
}
