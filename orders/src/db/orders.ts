import type { QueryResult } from 'pg';
import { and, asc, count, desc, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import { OrderStatus } from '@ticketing/common/events';
import { preparedStatement, rowOf, selectListOf, sqlLiteral, type Executor } from '@ticketing/common/database';
import { orders, tickets, type Order, type TicketReplica } from './schema';

export interface OrderWithTicket {
  order: Order;
  ticket: TicketReplica;
}

/** Name of the partial unique index that is the ticket lock: a violation of it means "already reserved". */
export const LIVE_ORDER_PER_TICKET_INDEX = 'orders_live_ticket_idx';

/** Inserts an order; rejects with a unique violation of {@link LIVE_ORDER_PER_TICKET_INDEX} when the ticket is held. */
export async function insertOrder(
  db: Executor,
  values: Pick<Order, 'userId' | 'ticketId' | 'status' | 'price' | 'expiresAt'>,
): Promise<Order> {
  const [order] = await insertOrderRow(db, { ...values, expiresAt: values.expiresAt.toISOString() });
  if (!order) throw new Error('insert into orders returned no row');
  return order;
}

// Every reservation and hand-over: prepared once per connection (see preparedStatement).
const insertOrderRow = preparedStatement('orders_insert_order', (db) =>
  db
    .insert(orders)
    .values({
      userId: sql`${sql.placeholder('userId')}`,
      ticketId: sql`${sql.placeholder('ticketId')}`,
      status: sql`${sql.placeholder('status')}`,
      price: sql`${sql.placeholder('price')}`,
      expiresAt: sql`${sql.placeholder('expiresAt')}`,
    })
    .returning(),
);

/** What a reservation needs to know first: the replica's ticket (if known here) and whether it is held. */
export interface TicketForReservation {
  ticket: TicketReplica | undefined;
  held: boolean;
}

/**
 * The replica's ticket and whether a live or complete order holds it, in one round trip, as a statement
 * prepared once per pool (the hottest read of a flash sale: it answers the buyers who lose).
 */
export async function readTicketForReservation(db: Executor, ticketId: string): Promise<TicketForReservation> {
  const [row] = await reservationReadOf(db).execute({ ticketId });
  if (row === undefined) return { ticket: undefined, held: false };
  const { held, ...ticket } = row;
  return { ticket, held };
}

const reservationReads = new WeakMap<Executor, ReturnType<typeof prepareReservationRead>>();

function reservationReadOf(db: Executor) {
  let prepared = reservationReads.get(db);
  if (prepared === undefined) {
    prepared = prepareReservationRead(db);
    reservationReads.set(db, prepared);
  }
  return prepared;
}

function prepareReservationRead(db: Executor) {
  const ticketId = sql.placeholder('ticketId');
  return db
    .select({
      id: tickets.id,
      title: tickets.title,
      price: tickets.price,
      userId: tickets.userId,
      withdrawn: tickets.withdrawn,
      startsAt: tickets.startsAt,
      version: tickets.version,
      // Spelled out: in a one-table select Drizzle leaves columns unqualified, and an unqualified "id" inside
      // the subquery would be the order's, not the ticket's.
      held: sql<boolean>`exists (select 1 from "orders" as "holder" where "holder"."ticket_id" = "tickets"."id" and "holder"."status" <> 'cancelled')`,
    })
    .from(tickets)
    .where(eq(tickets.id, ticketId))
    .prepare('orders_ticket_for_reservation');
}

/** The ids of the orders in one of `statuses` for a ticket (at most one is live: the unique index). */
export async function listOrderIdsOfTicket(
  db: Executor,
  ticketId: string,
  statuses: readonly OrderStatus[],
): Promise<string[]> {
  const rows = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.ticketId, ticketId), inArray(orders.status, [...statuses])));
  return rows.map((row) => row.id);
}

export async function findOrder(db: Executor, id: string): Promise<Order | undefined> {
  const [order] = await selectOrder(db, { id });
  return order;
}

// Every release of an order reads it first: prepared once per connection (see preparedStatement).
const selectOrder = preparedStatement('orders_select_order', (db) =>
  db
    .select()
    .from(orders)
    .where(eq(orders.id, sql.placeholder('id'))),
);

export async function findOrderWithTicket(db: Executor, id: string): Promise<OrderWithTicket | undefined> {
  const [row] = await db
    .select({ order: orders, ticket: tickets })
    .from(orders)
    .innerJoin(tickets, eq(orders.ticketId, tickets.id))
    .where(eq(orders.id, id));
  return row;
}

/** A buyer's orders, newest first. */
export async function listOrdersOfUser(db: Executor, userId: string): Promise<OrderWithTicket[]> {
  return db
    .select({ order: orders, ticket: tickets })
    .from(orders)
    .innerJoin(tickets, eq(orders.ticketId, tickets.id))
    .where(eq(orders.userId, userId))
    .orderBy(desc(orders.createdAt), desc(orders.id));
}

/** Ids of orders in one of `statuses` whose deadline is before `cutoff`, earliest deadline first. */
export async function listOrderIdsDueBefore(
  db: Executor,
  statuses: readonly OrderStatus[],
  cutoff: Date,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(inArray(orders.status, [...statuses]), lt(orders.expiresAt, cutoff)))
    .orderBy(asc(orders.expiresAt))
    .limit(limit);
  return rows.map((row) => row.id);
}

/**
 * Takes a transaction-scoped advisory lock on one buyer: every other transaction taking it for the same
 * buyer (on any replica) waits until this one ends. What makes "count, then insert" exact.
 */
export async function lockBuyer(db: Executor, buyerId: string): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${buyerId}, 0))`);
}

/** The replica's columns under their model names (`user_id AS "userId"`), for a statement sent as text. */
const TICKET_COLUMNS = selectListOf(tickets);

/** What a reservation's opening statements found: the ticket under a share lock, and the buyer's live orders. */
export interface ReservationOpening {
  ticket: TicketReplica | undefined;
  /** The buyer's orders in `statuses`, counted under the buyer's lock; undefined when not capped. */
  liveOrders: number | undefined;
}

/**
 * A reservation's first statements, as one text to send with BEGIN (UnitOfWork.transactionOpenedBy): the
 * ticket read FOR SHARE (the order copies its price and version; the share lock, held until the transaction
 * ends, makes an order commit either before a withdrawal is applied, which then sees it and cancels it, or
 * after, and sees the ticket withdrawn; buyers' share locks do not wait for each other), and for a capped buyer
 * {@link lockBuyer}'s lock, then the count of the buyer's orders in `statuses`. Three round trips in one: the
 * count is a statement of its own, so it runs on a snapshot taken once the lock is held and sees every order
 * the lock's last holder committed (one statement holding both would count on a snapshot from before its
 * wait). Literals only (the simple-query protocol takes no parameters), quoted.
 */
export function reservationOpening(
  ticketId: string,
  capped?: { buyerId: string; statuses: readonly OrderStatus[] },
): string {
  const ticket = `SELECT ${TICKET_COLUMNS} FROM "tickets" WHERE "id" = ${sqlLiteral(ticketId)} FOR SHARE`;
  if (capped === undefined) return ticket;
  const buyer = sqlLiteral(capped.buyerId);
  const statuses = capped.statuses.map((status) => sqlLiteral(status)).join(', ');
  return (
    `${ticket}; SELECT pg_advisory_xact_lock(hashtextextended(${buyer}, 0)); ` +
    `SELECT count(*)::int AS "liveOrders" FROM "orders" WHERE "user_id" = ${buyer} AND "status" IN (${statuses})`
  );
}

/** The results of {@link reservationOpening}'s statements, read. */
export function readReservationOpening(opened: readonly QueryResult[]): ReservationOpening {
  const row = opened[0]?.rows[0] as Record<string, unknown> | undefined;
  const ticket = row === undefined ? undefined : rowOf(tickets, row);
  const counted = opened[2]?.rows[0] as { liveOrders: number } | undefined;
  return { ticket, liveOrders: counted?.liveOrders };
}

/**
 * The same lock as {@link lockBuyer}, only if no other transaction holds it: false, at once, when one does
 * (that buyer is placing an order, or being handed a ticket, right now).
 */
export async function tryLockBuyer(db: Executor, buyerId: string): Promise<boolean> {
  const result = (await db.execute(
    sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${buyerId}, 0)) AS locked`,
  )) as { rows: { locked: boolean }[] };
  return result.rows[0]?.locked === true;
}

/** The order holding the ticket (unpaid or complete: the one the unique index lets exist), if any. */
export async function findHolderOfTicket(db: Executor, ticketId: string): Promise<Order | undefined> {
  const [order] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.ticketId, ticketId), ne(orders.status, OrderStatus.Cancelled)));
  return order;
}

/** How many of the buyer's orders are in one of `statuses`. */
export async function countLiveOrdersOfBuyer(
  db: Executor,
  buyerId: string,
  statuses: readonly OrderStatus[],
): Promise<number> {
  const [row] = await countOfBuyerIn(statuses)(db, { buyerId });
  return row?.value ?? 0;
}

/** Every reservation counts the buyer's orders (in the same few statuses): prepared once per connection each. */
const countsOfBuyer = new Map<string, ReturnType<typeof prepareCountOfBuyer>>();

function countOfBuyerIn(statuses: readonly OrderStatus[]) {
  const key = [...statuses].sort().join('_');
  let counter = countsOfBuyer.get(key);
  if (counter === undefined) countsOfBuyer.set(key, (counter = prepareCountOfBuyer(key, statuses)));
  return counter;
}

function prepareCountOfBuyer(key: string, statuses: readonly OrderStatus[]) {
  return preparedStatement(`orders_count_of_buyer_${key}`, (db) =>
    db
      .select({ value: count() })
      .from(orders)
      .where(and(eq(orders.userId, sql.placeholder('buyerId')), inArray(orders.status, [...statuses]))),
  );
}
