import { and, desc, eq, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '@ticketing/common/database';
import type { Checkin } from '@ticketing/common/api';
import { checkins, tickets, users } from '../db/schema';
import { startOfRow } from '../tickets/event-start';

/** Most admissions one answer lists. */
export const CHECKINS_LIMIT = 500;

/** Which admissions: of one ticket, of every ticket of one event, or all. */
export type CheckinFilter = { ticketId: string } | { eventOf: string } | Record<string, never>;

const eventTicket = alias(tickets, 'event_ticket');

/** Equal, two nulls included (a venue or a start nobody gave). */
const isNotDistinctFrom = (left: AnyColumn, right: AnyColumn): SQL => sql`${left} is not distinct from ${right}`;

/**
 * The issuer's admissions, newest first: never another issuer's, whatever ticket the filter names. An event is
 * every ticket its issuer listed with the named ticket's title, venue and start (tickets carry no event id).
 */
export async function listCheckins(db: Executor, issuerId: string, filter: CheckinFilter): Promise<Checkin[]> {
  const conditions: SQL[] = [eq(checkins.issuerId, issuerId)];
  if ('ticketId' in filter) conditions.push(eq(checkins.ticketId, filter.ticketId));
  const base = db
    .select({
      ticketId: checkins.ticketId,
      title: tickets.title,
      venue: tickets.venue,
      startsAt: tickets.startsAt,
      startsAtOffset: tickets.startsAtOffset,
      holderEmail: users.email,
      admittedAt: checkins.admittedAt,
      scannedAt: checkins.scannedAt,
    })
    .from(checkins)
    .innerJoin(tickets, eq(tickets.id, checkins.ticketId))
    .leftJoin(users, eq(users.id, checkins.holderId));
  const query =
    'eventOf' in filter
      ? base.innerJoin(
          eventTicket,
          and(
            eq(eventTicket.id, filter.eventOf),
            eq(eventTicket.userId, issuerId),
            eq(tickets.title, eventTicket.title),
            isNotDistinctFrom(tickets.venue, eventTicket.venue),
            isNotDistinctFrom(tickets.startsAt, eventTicket.startsAt),
          ),
        )
      : base;
  const rows = await query
    .where(and(...conditions))
    .orderBy(desc(checkins.admittedAt), checkins.ticketId)
    .limit(CHECKINS_LIMIT);
  return rows.map((row) => ({
    ticketId: row.ticketId,
    title: row.title,
    venue: row.venue,
    startsAt: startOfRow(row),
    holderEmail: row.holderEmail,
    admittedAt: row.admittedAt.toISOString(),
    scannedAt: row.scannedAt?.toISOString() ?? null,
  }));
}
