import {
  execute,
  literalOf,
  preparedText,
  rowOf,
  runStatements,
  selectListOf,
  sqlLiteral,
  type Executor,
  type PreparedText,
} from '@ticketing/common/database';
import { OrderStatus } from '@ticketing/common/events';
import { orders, tickets, waitingListPlaces, type Order, type TicketReplica, type WaitingListPlace } from './schema';

/** What a cancel or a completion found and did in its one round trip. */
export interface SettledOrder {
  /** The order's ticket line, locked; undefined when there is no such order. */
  ticket: TicketReplica | undefined;
  /** The order, moved; undefined when it was not in one of the statuses it moves from. */
  order: Order | undefined;
}

export interface CancelledOrder extends SettledOrder {
  /**
   * When the order was cancelled: the first places of its ticket's line (up to `placesPerRead`, first in line
   * first), each locked, as lockNextPlaces would read them after place 0.
   */
  firstPlaces: WaitingListPlace[];
}

const TICKET_LINE = selectListOf(tickets);
const ORDER = selectListOf(orders);
const PLACE = selectListOf(waitingListPlaces);

/**
 * Cancels an order that is in one of `from`, in one round trip of three statements (each prepared once per
 * connection, runStatements), each on a snapshot of its own (read committed), in the lock order
 * (docs/rules.md#lock-order):
 * 1. the ticket's line locked (`FOR NO KEY UPDATE`, found through the order, whose ticket never changes; only
 *    the ticket's row is locked, and after a wait for it PostgreSQL reads it again);
 * 2. the order moved to cancelled, on its version + 1, only while its status is one of `from`: concurrent
 *    moves of one order serialise on its row lock, and the loser, reading the row again, changes nothing;
 * 3. when the order is now cancelled, the first places of its ticket's line, locked, a place being left right
 *    now skipped, as lockNextPlaces. This statement's snapshot is taken after the line's lock is held, so it
 *    sees every join that committed before. When 2 changed nothing (a duplicate cancel), it may lock places
 *    of an order already cancelled: harmless, until the transaction ends.
 */
export async function cancelOrderInOne(
  tx: Executor,
  orderId: string,
  from: readonly OrderStatus[],
  placesPerRead: number,
): Promise<CancelledOrder> {
  const id = sqlLiteral(orderId);
  const [line, moved, places] = await runStatements(tx, [
    execute(LOCK_LINE_OF_ORDER, id),
    execute(moveText(from, OrderStatus.Cancelled), id, literalOf(orders.updatedAt, new Date())),
    execute(FIRST_PLACES_OF_CANCELLED, id, placesPerRead),
  ]);
  return {
    ...settled(line?.rows, moved?.rows),
    firstPlaces: (places?.rows ?? []).map((row: Record<string, unknown>) => rowOf(waitingListPlaces, row)),
  };
}

/**
 * Completes an order that is in one of `from`, in one round trip of three statements, each on a snapshot of
 * its own, in the lock order: the ticket's line locked (which also keeps a join from slipping a place into the
 * line this closes), the order moved to complete, and, when the order is now complete, every place of its
 * ticket's line removed (the ticket is sold). A duplicate completion removes the places of a sold ticket's
 * line again: there are none to remove.
 */
export async function completeOrderInOne(
  tx: Executor,
  orderId: string,
  from: readonly OrderStatus[],
): Promise<SettledOrder> {
  const id = sqlLiteral(orderId);
  const [line, moved] = await runStatements(tx, [
    execute(LOCK_LINE_OF_ORDER, id),
    execute(moveText(from, OrderStatus.Complete), id, literalOf(orders.updatedAt, new Date())),
    execute(CLOSE_LINE_OF_COMPLETED, id),
  ]);
  return settled(line?.rows, moved?.rows);
}

const ticketOfOrderIn = (status: OrderStatus) =>
  `SELECT "ticket_id" FROM "orders" WHERE "id" = $1 AND "status" = ${sqlLiteral(status)}`;

const LOCK_LINE_OF_ORDER = preparedText(
  'orders_text_lock_line_of_order',
  `SELECT ${TICKET_LINE} FROM "tickets" WHERE "id" = (SELECT "ticket_id" FROM "orders" WHERE "id" = $1) FOR NO KEY UPDATE`,
);

const FIRST_PLACES_OF_CANCELLED = preparedText(
  'orders_text_first_places_of_cancelled',
  `SELECT ${PLACE} FROM "waiting_list_places" WHERE "ticket_id" = (${ticketOfOrderIn(OrderStatus.Cancelled)}) ` +
    'ORDER BY "id" LIMIT $2 FOR UPDATE SKIP LOCKED',
);

const CLOSE_LINE_OF_COMPLETED = preparedText(
  'orders_text_close_line_of_completed',
  `DELETE FROM "waiting_list_places" WHERE "ticket_id" = (${ticketOfOrderIn(OrderStatus.Complete)})`,
);

/** The order's move from `from` to `to` on its version + 1 (`$1` the order, `$2` the time): one text per move. */
const moveTexts = new Map<string, PreparedText>();

function moveText(from: readonly OrderStatus[], to: OrderStatus): PreparedText {
  const key = `${[...from].sort().join('_')}_to_${to}`;
  let text = moveTexts.get(key);
  if (text === undefined) {
    const statuses = from.map((status) => sqlLiteral(status)).join(', ');
    text = preparedText(
      `orders_text_move_${key}`,
      `UPDATE "orders" SET "status" = ${sqlLiteral(to)}, "version" = "version" + 1, "updated_at" = $2 ` +
        `WHERE "id" = $1 AND "status" IN (${statuses}) RETURNING ${ORDER}`,
    );
    moveTexts.set(key, text);
  }
  return text;
}

function settled(
  line: Record<string, unknown>[] | undefined,
  moved: Record<string, unknown>[] | undefined,
): SettledOrder {
  const [ticket] = line ?? [];
  const [order] = moved ?? [];
  return {
    ticket: ticket === undefined ? undefined : rowOf(tickets, ticket),
    order: order === undefined ? undefined : rowOf(orders, order),
  };
}
