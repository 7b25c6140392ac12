import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { OrderStatus } from '@ticketing/common/events';

// The outbox and inbox tables live in every service's database; re-exported so drizzle-kit migrates them.
export { outbox, processedEvents } from '@ticketing/common/outbox';

/**
 * The tickets this service may sell, replicated from ticket.created / ticket.updated (the tickets service
 * owns them). `version` is the owner's: a change is applied only on top of the one before it.
 */
export const tickets = pgTable('tickets', {
  /** The owner's id, never generated here. */
  id: uuid('id').primaryKey(),
  title: text('title').notNull(),
  /** Integer cents. */
  price: integer('price').notNull(),
  /** The seller: a user may not buy their own ticket. */
  userId: uuid('user_id').notNull(),
  /** When the ticket's event starts (null: not said, or an event from before tickets had it); no sale from then on. */
  startsAt: timestamp('starts_at', { withTimezone: true }),
  /** Its seller withdrew it: no longer buyable, for good (ticket.updated with `withdrawn: true`). */
  withdrawn: boolean('withdrawn').notNull().default(false),
  version: integer('version').notNull(),
});

export type TicketReplica = typeof tickets.$inferSelect;

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The buyer. */
    userId: uuid('user_id').notNull(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id),
    status: text('status').$type<OrderStatus>().notNull(),
    /**
     * Integer cents: the ticket's price when the order was placed, what the buyer saw and is charged. The
     * replica's price may change later (a seller's edit racing the order); the order's never does.
     */
    price: integer('price').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    /**
     * THE lock (docs/rules.md#rule-4): at most one order per ticket that is not cancelled. A complete order
     * keeps the ticket (it is sold). Two buyers racing for one ticket cannot both insert, whatever the
     * timing: the second insert fails with a unique violation.
     */
    uniqueIndex('orders_live_ticket_idx')
      .on(table.ticketId)
      .where(sql`${table.status} <> 'cancelled'`),
    /** "My orders, newest first". */
    index('orders_user_created_idx').on(table.userId, table.createdAt),
    /** The sweep reads only unpaid orders by deadline. */
    index('orders_unpaid_expires_idx')
      .on(table.expiresAt)
      .where(sql`${table.status} = ${sql.raw(`'${OrderStatus.Created}'`)}`),
    /** The restatement job walks orders by their last change. */
    index('orders_updated_idx').on(table.updatedAt, table.id),
    check('orders_price_check', sql`${table.price} > 0`),
    check(
      'orders_status_check',
      sql.raw(
        `status in (${Object.values(OrderStatus)
          .map((status) => `'${status}'`)
          .join(', ')})`,
      ),
    ),
  ],
);

export type Order = typeof orders.$inferSelect;

/**
 * The waiting list: buyers queued for a ticket another buyer holds. When the holding order is cancelled or
 * expires, the first eligible place becomes a reservation in the same transaction (hand-over-ticket.ts).
 */
export const waitingListPlaces = pgTable(
  'waiting_list_places',
  {
    /**
     * The line's order. Joins of one ticket take its replica row's lock first (join-waiting-list.ts), so
     * within a ticket ids are taken, and committed, in the order people joined.
     */
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id),
    /** The waiting buyer. */
    userId: uuid('user_id').notNull(),
    /**
     * Integer cents: the price the buyer saw and accepted when they joined (the ticket's price at
     * `ticketVersion`, the version their page showed). A hand-over at a higher price passes them over and drops
     * the place, never a reservation at a price they did not accept; at this price or lower they are handed it.
     */
    price: integer('price').notNull(),
    /**
     * The ticket version the buyer's page showed when they joined (the join is refused when the ticket has
     * moved past it); null for places taken before joins carried it, or by a client that sent none.
     */
    ticketVersion: integer('ticket_version'),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    /** One place per buyer and ticket: joining twice changes nothing. */
    unique('waiting_list_places_ticket_user_key').on(table.ticketId, table.userId),
    /** A ticket's line, first in line first. */
    index('waiting_list_places_ticket_idx').on(table.ticketId, table.id),
    /** "My places". */
    index('waiting_list_places_user_idx').on(table.userId),
  ],
);

export type WaitingListPlace = typeof waitingListPlaces.$inferSelect;

/**
 * How far the restatement job (restate-settled-orders.ts) has gone: the last change it restated, by
 * (updated_at, id). One row per job; its row lock keeps two replicas from restating the same orders.
 */
export const restatementCursor = pgTable('restatement_cursor', {
  name: text('name').primaryKey(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  orderId: uuid('order_id').notNull(),
});
