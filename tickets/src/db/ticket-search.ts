import { and, asc, desc, gte, isNull, lt, lte, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { MAX_OFFSET_MINUTES } from '../tickets/event-start';
import type { DateBound, ListPosition, TicketSearch, TicketSort } from '../tickets/ticket-search';
import { tickets, type Ticket } from './schema';

/**
 * The start as the date index (`tickets_for_sale_date_idx`) holds it: a ticket without one sorts after every
 * date, so the date order is total and its keyset a plain row comparison.
 */
const startKey = sql`coalesce(${tickets.startsAt}, 'infinity'::timestamptz)`;

/** A time to the microsecond as text: a JS Date keeps milliseconds only, and a cursor must be exact. */
const exactTime = (time: AnyColumn) => sql`to_char(${time} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Per sort: the order, the key a cursor keeps (as text), and the rows strictly after a position. */
const SORTS: Record<TicketSort, { orderBy: SQL[]; key: SQL<string>; after: (position: ListPosition) => SQL }> = {
  newest: {
    orderBy: [desc(tickets.createdAt), desc(tickets.id)],
    key: sql<string>`${exactTime(tickets.createdAt)}`,
    after: ({ key, id }) => sql`(${tickets.createdAt}, ${tickets.id}) < (${key}::timestamptz, ${id}::uuid)`,
  },
  price: {
    orderBy: [asc(tickets.price), asc(tickets.id)],
    key: sql<string>`${tickets.price}::text`,
    after: ({ key, id }) => sql`(${tickets.price}, ${tickets.id}) > (${Number(key)}::integer, ${id}::uuid)`,
  },
  date: {
    orderBy: [asc(startKey), asc(tickets.id)],
    key: sql<string>`case when ${tickets.startsAt} is null then 'infinity' else ${exactTime(tickets.startsAt)} end`,
    after: ({ key, id }) => sql`(${startKey}, ${tickets.id}) > (${key}::timestamptz, ${id}::uuid)`,
  },
};

/**
 * The words of `text` as a tsquery over the generated `search` column (migration 0004): PostgreSQL's own
 * parser splits them as it split the titles and venues, so user input is only ever a parameter, never tsquery
 * syntax (`plainto_tsquery` reads operators as plain text). Its output is canonical tsquery text, so `:*`
 * appended marks the last word as a prefix. No word at all (only characters the parser drops) matches nothing.
 */
function matchesWords(text: string): SQL {
  const words = sql`plainto_tsquery('simple'::regconfig, public.immutable_unaccent(${text}))`;
  return sql`"tickets"."search" @@ (nullif(${words}::text, '') || ':*')::tsquery`;
}

/** The day an event starts on at its venue: the start read on the venue's clock, at the offset the seller gave. */
const localStartDay = sql`(timezone(make_interval(mins => ${tickets.startsAtOffset}::integer), ${tickets.startsAt}))::date`;

/**
 * A day bound reads the event's local day, which no index holds; the widest instant range that day can be at
 * any offset narrows the scan on the date index first.
 */
function startsFrom(bound: DateBound): SQL | undefined {
  if (bound.kind === 'instant') return and(gte(startKey, bound.at), lt(startKey, sql`'infinity'::timestamptz`));
  const earliest = new Date(Date.parse(`${bound.day}T00:00:00Z`) - MAX_OFFSET_MINUTES * 60_000);
  return and(gte(startKey, earliest), lt(startKey, sql`'infinity'::timestamptz`), gte(localStartDay, bound.day));
}

function startsUntil(bound: DateBound): SQL | undefined {
  if (bound.kind === 'instant') return lte(startKey, bound.at);
  const latest = new Date(Date.parse(`${bound.day}T00:00:00Z`) + (24 * 60 + MAX_OFFSET_MINUTES) * 60_000);
  return and(lt(startKey, latest), lte(localStartDay, bound.day));
}

export interface ForSaleQuery {
  search: TicketSearch;
  limit: number;
  after?: ListPosition;
  /** The clock the request is judged by: a ticket whose event starts at or before it is no longer for sale. */
  now: Date;
}

/**
 * The statement behind the for-sale list, unexecuted (the index tests EXPLAIN exactly this). Each filter is a
 * range or a match one of the for-sale indexes serves: the GIN index on `search`, the price index, the date
 * index; the newest-first index serves the default sort.
 */
export function ticketsForSaleQuery(db: Executor, { search, limit, after, now }: ForSaleQuery) {
  const sort = SORTS[search.sort];
  return db
    .select({ ticket: tickets, key: sort.key })
    .from(tickets)
    .where(
      and(
        // The for-sale indexes' predicate, each condition of it: the planner reads them only when it is implied.
        isNull(tickets.orderId),
        isNull(tickets.soldAt),
        isNull(tickets.withdrawnAt),
        // Not started yet: a range on the date index, a condition on the start key the other indexes hold.
        sql`${startKey} > ${now}`,
        search.text === undefined ? undefined : matchesWords(search.text),
        search.minPrice === undefined ? undefined : gte(tickets.price, search.minPrice),
        search.maxPrice === undefined ? undefined : lte(tickets.price, search.maxPrice),
        search.from === undefined ? undefined : startsFrom(search.from),
        search.to === undefined ? undefined : startsUntil(search.to),
        after === undefined ? undefined : sort.after(after),
      ),
    )
    .orderBy(...sort.orderBy)
    .limit(limit);
}

/** Up to `limit` tickets for sale matching the search, in its sort, strictly after `after`, each with its position. */
export async function selectTicketsForSale(
  db: Executor,
  query: ForSaleQuery,
): Promise<{ ticket: Ticket; position: ListPosition }[]> {
  const rows = await ticketsForSaleQuery(db, query);
  return rows.map(({ ticket, key }) => ({ ticket, position: { sort: query.search.sort, key, id: ticket.id } }));
}
