import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import type { DoorTickets } from '@ticketing/common/api';
import { checkins, passes, tickets } from '../db/schema';
import { startOfRow } from '../tickets/event-start';
import { closingTime } from './check-in-window';
import { revocationWatermark } from './revoked-codes';

/**
 * Every ticket of the issuer that has a pass, soonest event first (those without a start last): what a door
 * needs to decide offline. Its current generation (a lower one is void), when its door closes, whether it was
 * admitted. `asOf` is taken before the read like the revocation list's, so polling
 * `GET /api/checkins/revoked?since=<asOf>` from there misses no change of holder.
 */
export async function listDoorTickets(
  db: Executor,
  issuerId: string,
  { checkinWindowHours }: { checkinWindowHours: number },
): Promise<DoorTickets> {
  const asOf = await revocationWatermark(db);
  const rows = await db
    .select({
      ticketId: passes.ticketId,
      generation: passes.generation,
      title: tickets.title,
      venue: tickets.venue,
      startsAt: tickets.startsAt,
      startsAtOffset: tickets.startsAtOffset,
      timeZone: tickets.timeZone,
      admittedAt: checkins.admittedAt,
    })
    .from(passes)
    .innerJoin(tickets, eq(tickets.id, passes.ticketId))
    .leftJoin(checkins, eq(checkins.ticketId, passes.ticketId))
    .where(eq(passes.issuerId, issuerId))
    .orderBy(sql`${tickets.startsAt} asc nulls last`, asc(passes.ticketId));
  return {
    asOf: asOf.toISOString(),
    tickets: rows.map((row) => ({
      ticketId: row.ticketId,
      title: row.title,
      venue: row.venue,
      startsAt: startOfRow(row),
      timeZone: row.timeZone,
      generation: row.generation,
      closesAt: closingTime(row.startsAt, checkinWindowHours)?.toISOString() ?? null,
      admittedAt: row.admittedAt?.toISOString() ?? null,
    })),
  };
}
