import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { preparedStatement, type Executor } from '@ticketing/common/database';
import { tickets, waitingListPlaces, type TicketReplica, type WaitingListPlace } from './schema';

/**
 * The ticket's replica row, locked against another join or hand-over of the same ticket until the
 * transaction ends; undefined for a ticket this service does not know.
 *
 * `FOR NO KEY UPDATE`, not `FOR UPDATE`: an order's insert takes `FOR KEY SHARE` on its ticket (the foreign
 * key), which this lock lets through, so a reservation of the ticket is never held up by its line.
 */
export async function lockTicketLine(db: Executor, ticketId: string): Promise<TicketReplica | undefined> {
  const [ticket] = await selectTicketLineForNoKeyUpdate(db, { ticketId });
  return ticket;
}

// Every release of an order (an expiry, a cancel) takes this lock and reads the line: prepared once per
// connection (see preparedStatement).
const selectTicketLineForNoKeyUpdate = preparedStatement('orders_lock_ticket_line', (db) =>
  db
    .select()
    .from(tickets)
    .where(eq(tickets.id, sql.placeholder('ticketId')))
    .for('no key update'),
);

/** Adds the buyer to the ticket's line; nothing when they are in it already. */
export async function insertPlace(
  db: Executor,
  place: Pick<WaitingListPlace, 'ticketId' | 'userId' | 'price' | 'ticketVersion'>,
): Promise<void> {
  await db
    .insert(waitingListPlaces)
    .values(place)
    .onConflictDoNothing({ target: [waitingListPlaces.ticketId, waitingListPlaces.userId] });
}

/**
 * 1-based rank among the ticket's current waiters, in the order they joined. Spelled out: in a one-table
 * select Drizzle leaves columns unqualified, and inside the subquery they would be the subquery's own.
 */
const position = sql<number>`(select count(*) from "waiting_list_places" as "ahead" where "ahead"."ticket_id" = "waiting_list_places"."ticket_id" and "ahead"."id" <= "waiting_list_places"."id")::int`;

/** The buyer's place in the ticket's line, with its position; undefined when they are not in it. */
export async function findPlace(
  db: Executor,
  ticketId: string,
  userId: string,
): Promise<(WaitingListPlace & { position: number }) | undefined> {
  const [place] = await db
    .select({
      id: waitingListPlaces.id,
      ticketId: waitingListPlaces.ticketId,
      userId: waitingListPlaces.userId,
      price: waitingListPlaces.price,
      ticketVersion: waitingListPlaces.ticketVersion,
      joinedAt: waitingListPlaces.joinedAt,
      position,
    })
    .from(waitingListPlaces)
    .where(and(eq(waitingListPlaces.ticketId, ticketId), eq(waitingListPlaces.userId, userId)));
  return place;
}

export interface PlaceWithTicket {
  place: WaitingListPlace;
  position: number;
  ticket: TicketReplica;
}

/** A buyer's places, the one they took first first, each with its position and ticket. */
export async function listPlacesOfUser(db: Executor, userId: string): Promise<PlaceWithTicket[]> {
  return db
    .select({ place: waitingListPlaces, position, ticket: tickets })
    .from(waitingListPlaces)
    .innerJoin(tickets, eq(waitingListPlaces.ticketId, tickets.id))
    .where(eq(waitingListPlaces.userId, userId))
    .orderBy(asc(waitingListPlaces.id));
}

/** Removes the buyer from the ticket's line; false when they were not in it. */
export async function deletePlace(db: Executor, ticketId: string, userId: string): Promise<boolean> {
  const deleted = await db
    .delete(waitingListPlaces)
    .where(and(eq(waitingListPlaces.ticketId, ticketId), eq(waitingListPlaces.userId, userId)))
    .returning({ id: waitingListPlaces.id });
  return deleted.length > 0;
}

/**
 * The next places in the ticket's line after place `afterId`, first in line first, each locked until the
 * transaction ends. A place whose buyer is leaving right now (its row locked by the leave) is skipped, not
 * waited for.
 */
export async function lockNextPlaces(
  db: Executor,
  ticketId: string,
  afterId: number,
  limit: number,
): Promise<WaitingListPlace[]> {
  return selectNextPlacesForUpdate(db, { ticketId, afterId, limit });
}

const selectNextPlacesForUpdate = preparedStatement('orders_lock_next_places', (db) =>
  db
    .select()
    .from(waitingListPlaces)
    .where(
      and(
        eq(waitingListPlaces.ticketId, sql.placeholder('ticketId')),
        gt(waitingListPlaces.id, sql.placeholder('afterId')),
      ),
    )
    .orderBy(asc(waitingListPlaces.id))
    .limit(sql.placeholder('limit'))
    .for('update', { skipLocked: true }),
);

export async function deletePlaceById(db: Executor, id: number): Promise<void> {
  await db.delete(waitingListPlaces).where(eq(waitingListPlaces.id, id));
}
