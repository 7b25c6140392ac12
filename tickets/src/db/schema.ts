import { sql } from 'drizzle-orm';
import {
  check,
  index,
  type AnyPgColumn,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// The outbox and inbox tables live in every service's database; re-exported so drizzle-kit migrates them.
export { outbox, processedEvents } from '@ticketing/common/outbox';

/** The columns the for-sale indexes are defined on. */
interface ForSaleColumns {
  orderId: AnyPgColumn;
  soldAt: AnyPgColumn;
  withdrawnAt: AnyPgColumn;
  startsAt: AnyPgColumn;
}

/**
 * The part of "for sale" that does not depend on the clock, as the for-sale indexes' predicate: a query reads
 * them only when its WHERE implies it, so the for-sale list (db/ticket-search.ts) says each of the three.
 */
const forSale = (table: ForSaleColumns) =>
  sql`${table.orderId} is null and ${table.soldAt} is null and ${table.withdrawnAt} is null`;

/** The start as the for-sale indexes hold it: a ticket without one sorts after every date. */
const startKeyOf = (table: ForSaleColumns) => sql`coalesce(${table.startsAt}, 'infinity'::timestamptz)`;

export const tickets = pgTable(
  'tickets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Trimmed, 1–120 characters. */
    title: text('title').notNull(),
    /** Integer cents; the API shows a decimal. */
    price: integer('price').notNull(),
    /** The seller. */
    userId: uuid('user_id').notNull(),
    /** The order holding the lock, mirrored from order events; null while the ticket is for sale. */
    orderId: uuid('order_id'),
    /** When the order holding the lock was paid (`order.completed`): the ticket is sold for good. */
    soldAt: timestamp('sold_at', { withTimezone: true }),
    /** Where the event takes place, 1–120 characters; null when the seller gave none. */
    venue: text('venue'),
    /** When the event starts; null when the seller gave none. From then on the ticket is no longer for sale. */
    startsAt: timestamp('starts_at', { withTimezone: true }),
    /**
     * The UTC offset, in minutes, the seller gave with `startsAt` (the venue's local time): the API shows the
     * start as it was given, and a date filter reads the event's own calendar day. Set exactly when startsAt is.
     */
    startsAtOffset: smallint('starts_at_offset'),
    /**
     * The venue's IANA time zone (`Europe/Paris`), as `Intl` spells it; null when the seller named none. When set,
     * `startsAtOffset` is this zone's offset at `startsAt`, so the start is shown on the venue's clock.
     */
    timeZone: text('time_zone'),
    /** Who bought it, from the completed order; null until sold (and for sales recorded before resale existed). */
    buyerId: uuid('buyer_id'),
    /** Integer cents the buyer paid: the order's price, not the listing's. What a resale is capped by. */
    pricePaid: integer('price_paid'),
    /** A resale listing: the bought ticket it lists again. Null for a first listing. */
    resaleOf: uuid('resale_of'),
    /** When the seller withdrew it: no longer listed or buyable, for good. */
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
    /** 0 at creation, +1 on every change (edit, lock, unlock, sale, withdrawal): what replicas order events by. */
    version: integer('version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // The for-sale indexes hold exactly the tickets that can be for sale: not held by an order, not sold, not
    // withdrawn (FOR_SALE below). Withdrawn and sold tickets pile up for good and are never read by the list.
    // "Not started yet" depends on the clock, which no index predicate may name; each index therefore holds
    // the start key (coalesce(starts_at, 'infinity')) as a key column, so `start key > now` is an index
    // condition: the date index skips started tickets as a range, the others check it on the index entry
    // without fetching the ticket.
    //
    // Serves the for-sale list: newest first with the id as tie-breaker, the keyset the cursor walks.
    // NULLS FIRST is what a plain DESC sorts by, so ORDER BY … DESC can read this index as it is.
    index('tickets_for_sale_idx')
      .on(table.createdAt.desc().nullsFirst(), table.id.desc().nullsFirst(), startKeyOf(table))
      .where(forSale(table)),
    // Serves "my listings": a seller's tickets in any state, newest first.
    index('tickets_seller_idx').on(table.userId, table.createdAt.desc().nullsFirst()),
    // Serve the for-sale list sorted by price (and a price range): cheapest first, the id as tie-breaker.
    index('tickets_for_sale_price_idx').on(table.price, table.id, startKeyOf(table)).where(forSale(table)),
    // Serves the for-sale list sorted by date (and a date range): soonest first, tickets without a start
    // last. One expression keeps the order total, so the keyset is a plain row comparison on it, and "not
    // started yet" (`> now()`) is a range on this index too.
    index('tickets_for_sale_date_idx').on(startKeyOf(table), table.id).where(forSale(table)),
    check('tickets_starts_at_offset_check', sql`(${table.startsAt} is null) = (${table.startsAtOffset} is null)`),
    // Serves "my tickets": what a buyer bought, latest purchase first.
    index('tickets_buyer_idx')
      .on(table.buyerId, table.soldAt.desc().nullsFirst())
      .where(sql`${table.buyerId} is not null`),
    // A bought ticket is listed again at most once at a time: two resale requests racing cannot both insert.
    // A withdrawn resale frees it to be listed again.
    uniqueIndex('tickets_one_resale_idx')
      .on(table.resaleOf)
      .where(sql`${table.resaleOf} is not null and ${table.withdrawnAt} is null`),
  ],
);

/**
 * Orders whose `order.cancelled` this service has seen. `order.created` and `order.cancelled` travel on
 * different consumers, so a cancellation can arrive before its own creation; the creation then finds its
 * order here and never locks the ticket.
 */
export const releasedOrders = pgTable('released_orders', {
  orderId: uuid('order_id').primaryKey(),
  releasedAt: timestamp('released_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * The order orders handed the ticket to when it released this one (the next buyer in its waiting list), as
   * `order.cancelled` named it; null when nobody was handed it (or the release came by restatement). What a
   * later release follows when this order was released before its ticket learned of it.
   */
  handedOverTo: uuid('handed_over_to'),
});

export type Ticket = typeof tickets.$inferSelect;

/**
 * Accounts as auth publishes them (`user.created`, `user.updated`, applied by version): whom a transfer names by
 * email, and the email a pass and the door show. Auth stores the address normalised, so equal addresses are equal
 * strings.
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    email: text('email').notNull(),
    version: integer('version').notNull(),
  },
  // Not unique: two accounts' changes of address can reach this replica in either order, so one address may
  // name two rows for a moment (auth keeps it unique; a lookup that finds two answers as if it found none).
  (table) => [index('users_email_idx').on(table.email)],
);

/**
 * One pass per ticket as its issuer listed it (a first listing: `resale_of` null), whoever holds it now: the
 * buyer of its latest paid sale (the ticket itself or a resale of it, `held_ticket_id`), or whoever that buyer
 * handed it on to. `generation` is the current code's: 1 for the first holder, +1 on every change of holder, so
 * every code of a lower generation is void. Changed only under this row's lock.
 */
export const passes = pgTable(
  'passes',
  {
    /** The ticket as its issuer listed it: what a code names and the door admits, once. */
    ticketId: uuid('ticket_id').primaryKey(),
    /** Who listed it first, the one account that admits it at the door (resales keep it). */
    issuerId: uuid('issuer_id').notNull(),
    /** The listing the holder's pass came through: the ticket itself, or its latest paid resale. */
    heldTicketId: uuid('held_ticket_id').notNull(),
    holderId: uuid('holder_id').notNull(),
    generation: integer('generation').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('passes_holder_idx').on(table.holderId, table.issuedAt.desc().nullsFirst()),
    uniqueIndex('passes_held_ticket_idx').on(table.heldTicketId),
    check('passes_generation_check', sql`${table.generation} >= 1`),
  ],
);

/** Why a code stopped being current. */
export const PassVoidReason = {
  /** A resale of the ticket was paid for: its buyer holds the new code. */
  Resold: 'resold',
  /** Its holder handed it on to another account. */
  Transferred: 'transferred',
} as const;
export type PassVoidReason = (typeof PassVoidReason)[keyof typeof PassVoidReason];

/**
 * Every code a pass has had, current and void: what the door's revocation list (`GET /api/checkins/revoked`) is
 * read from, per issuer and by the time it was voided.
 */
export const passCodes = pgTable(
  'pass_codes',
  {
    ticketId: uuid('ticket_id').notNull(),
    generation: integer('generation').notNull(),
    issuerId: uuid('issuer_id').notNull(),
    holderId: uuid('holder_id').notNull(),
    heldTicketId: uuid('held_ticket_id').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
    /** Null while current. */
    voidedAt: timestamp('voided_at', { withTimezone: true }),
    voidReason: text('void_reason').$type<PassVoidReason>(),
  },
  (table) => [
    primaryKey({ columns: [table.ticketId, table.generation] }),
    index('pass_codes_revoked_idx')
      .on(table.issuerId, table.voidedAt)
      .where(sql`${table.voidedAt} is not null`),
    check('pass_codes_void_check', sql`(${table.voidedAt} is null) = (${table.voidReason} is null)`),
  ],
);

/**
 * Admissions at the door: at most one per ticket (the primary key), so two doors scanning one code at the same
 * instant admit it once, whichever commits first.
 */
export const checkins = pgTable(
  'checkins',
  {
    ticketId: uuid('ticket_id').primaryKey(),
    issuerId: uuid('issuer_id').notNull(),
    /** The code's generation that was admitted, and its holder then. */
    generation: integer('generation').notNull(),
    holderId: uuid('holder_id').notNull(),
    /** The scan that admitted it. */
    nonce: text('nonce').notNull(),
    /** When the server admitted it. */
    admittedAt: timestamp('admitted_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the door says it scanned the code (an offline door uploads later); null when it did not say. */
    scannedAt: timestamp('scanned_at', { withTimezone: true }),
  },
  (table) => [index('checkins_issuer_idx').on(table.issuerId, table.admittedAt)],
);

/**
 * Every answer the door was given for a scan that named a ticket, by the scan's nonce: the same scan sent again
 * (a retry, an offline queue uploaded twice) gets the same answer and counts once.
 */
export const checkinScans = pgTable(
  'checkin_scans',
  {
    issuerId: uuid('issuer_id').notNull(),
    nonce: text('nonce').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    /** The HTTP status and body answered. */
    status: smallint('status').notNull(),
    body: jsonb('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.issuerId, table.nonce] })],
);
