import {
  execute,
  preparedText,
  rowOf,
  runStatements,
  selectListOf,
  sqlLiteral,
  type Executor,
} from '@ticketing/common/database';
import { tickets, type Ticket } from './schema';

const TICKET = selectListOf(tickets);

/**
 * `order.created`'s usual case in one round trip, two statements each on a snapshot of its own (read
 * committed): the ticket's row lock (as findTicketForUpdate), then, under it, the ticket locked for the order
 * (version+1) if it is free, not withdrawn, and the order was not released (its cancellation arrived first).
 * The second statement's snapshot is taken once the row lock is held, so it sees what the lock's last holder
 * committed (a release recorded by order.cancelled included). Resolves to the row as locked, and to the
 * ticket as taken, undefined when it was not.
 */
export async function lockRowAndTakeForOrder(
  tx: Executor,
  ticketId: string,
  orderId: string,
): Promise<{ ticket: Ticket | undefined; taken: Ticket | undefined }> {
  const [row, taken] = await runStatements(tx, [
    execute(LOCK_ROW, sqlLiteral(ticketId)),
    execute(TAKE_FOR_ORDER, sqlLiteral(ticketId), sqlLiteral(orderId)),
  ]);
  return { ticket: ticketOf(row?.rows), taken: ticketOf(taken?.rows) };
}

/**
 * `order.cancelled`'s usual case (no hand-over named) in one round trip, two statements each on a snapshot
 * of its own: the ticket's row lock, then, under it, the order recorded as released (as recordReleasedOrder
 * records it without a hand-over) and the ticket freed (version+1) if this order holds it, it is not sold, and
 * no hand-over is known for the order. The release is recorded whatever the ticket's state (a data-modifying
 * WITH always runs to completion), as the other cases record it too. Resolves to the row as locked, and to
 * the ticket as freed, undefined when it was not.
 */
export async function lockRowAndRelease(
  tx: Executor,
  ticketId: string,
  orderId: string,
): Promise<{ ticket: Ticket | undefined; freed: Ticket | undefined }> {
  const [row, freed] = await runStatements(tx, [
    execute(LOCK_ROW, sqlLiteral(ticketId)),
    execute(RELEASE_AND_FREE, sqlLiteral(ticketId), sqlLiteral(orderId)),
  ]);
  return { ticket: ticketOf(row?.rows), freed: ticketOf(freed?.rows) };
}

// Prepared once per connection (runStatements); `$1` the ticket, `$2` the order.
const LOCK_ROW = preparedText('tickets_text_lock_row', `SELECT ${TICKET} FROM "tickets" WHERE "id" = $1 FOR UPDATE`);

const TAKE_FOR_ORDER = preparedText(
  'tickets_text_take_for_order',
  `UPDATE "tickets" SET "order_id" = $2, "version" = "version" + 1 ` +
    `WHERE "id" = $1 AND "order_id" IS NULL AND "withdrawn_at" IS NULL ` +
    `AND NOT EXISTS (SELECT 1 FROM "released_orders" WHERE "order_id" = $2) RETURNING ${TICKET}`,
);

const RELEASE_AND_FREE = preparedText(
  'tickets_text_release_and_free',
  `WITH "released" AS (INSERT INTO "released_orders" ("order_id", "handed_over_to") VALUES ($2, NULL) ` +
    `ON CONFLICT ("order_id") DO UPDATE SET "handed_over_to" = ` +
    `coalesce("released_orders"."handed_over_to", excluded."handed_over_to") RETURNING "handed_over_to") ` +
    `UPDATE "tickets" SET "order_id" = NULL, "version" = "version" + 1 ` +
    `WHERE "id" = $1 AND "order_id" = $2 AND "sold_at" IS NULL ` +
    `AND (SELECT "handed_over_to" FROM "released") IS NULL RETURNING ${TICKET}`,
);

function ticketOf(rows: Record<string, unknown>[] | undefined): Ticket | undefined {
  const [row] = rows ?? [];
  return row === undefined ? undefined : rowOf(tickets, row);
}
