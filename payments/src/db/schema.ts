import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ChargeStatus, OrderStatus } from '@ticketing/common/events';
import { type TraceCarrier } from '@ticketing/common/observability';

// The outbox and inbox tables live in every service's database; re-exported so drizzle-kit migrates them.
export { outbox, processedEvents } from '@ticketing/common/outbox';

const quoted = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

/**
 * Why a charge failed. Only a decline is a fact about the order: orders hears of it (charge.created
 * failed) and cancels the order, and payments refuses any later attempt for it. The other two leave the
 * order payable: nothing was charged and nobody was told.
 */
export const ChargeFailureKind = {
  /** The card was declined, or the PaymentIntent ended in a state that is not a payment. */
  Declined: 'declined',
  /** Stripe refused the request itself (an unknown payment method, say). */
  Rejected: 'rejected',
  /** The request never reached Stripe: the settlement backstop found no PaymentIntent for the charge. */
  NeverSent: 'never_sent',
} as const;
export type ChargeFailureKind = (typeof ChargeFailureKind)[keyof typeof ChargeFailureKind];

/**
 * The orders payments may take money for, replicated from order.created / order.cancelled (the orders
 * service owns them). `version` is the owner's: a change is applied only on top of the one before it.
 * A payment locks this row (`FOR UPDATE`) so that a payment and a cancellation of one order serialise.
 */
export const orders = pgTable('orders', {
  /** The owner's id, never generated here. */
  id: uuid('id').primaryKey(),
  /** The buyer: the only user who may pay. */
  userId: uuid('user_id').notNull(),
  status: text('status').$type<OrderStatus>().notNull(),
  /** Integer cents: what the buyer is charged. */
  price: integer('price').notNull(),
  version: integer('version').notNull(),
  /**
   * When the ticket's event starts (order.created's `ticket.startsAt`): no payment is taken from then on.
   * Null when its seller gave no start, or the order was heard before orders carried it.
   */
  startsAt: timestamp('starts_at', { withTimezone: true }),
  /**
   * The trace the order's creation was heard in (`traceparent`), when tracing is on: paying it later, in
   * another request, joins that trace, so one purchase is one trace (see inTraceOf in common).
   */
  traceContext: jsonb('trace_context').$type<TraceCarrier>(),
});

export type OrderReplica = typeof orders.$inferSelect;

/** Buyers' emails for Stripe receipts, replicated from user.created / user.updated. */
export const customers = pgTable('customers', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull(),
  version: integer('version').notNull(),
});

export type Customer = typeof customers.$inferSelect;

/** One payment attempt for an order; `stripe_id` is the PaymentIntent's id. */
export const charges = pgTable(
  'charges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    status: text('status').$type<ChargeStatus>().notNull(),
    /** Integer cents. */
    amount: integer('amount').notNull(),
    /**
     * What the PaymentIntent request was sent with. A resumed attempt must send exactly the same
     * parameters under the same idempotency key, or Stripe refuses it; so they are kept, not re-read.
     */
    paymentMethodId: text('payment_method_id').notNull(),
    receiptEmail: text('receipt_email'),
    stripeId: text('stripe_id'),
    stripeRefundId: text('stripe_refund_id'),
    failureMessage: text('failure_message'),
    /** Set exactly when the charge failed: why (see ChargeFailureKind). */
    failureKind: text('failure_kind').$type<ChargeFailureKind>(),
    /**
     * While a request to Stripe for this charge is in flight: until when. Another payment of the same
     * order meanwhile answers 409 rather than racing it; a crashed attempt is resumable after this time.
     */
    attemptExpiresAt: timestamp('attempt_expires_at', { withTimezone: true }),
    /**
     * When the charge was last sent to Stripe (its first attempt, or the latest that resumed it). The
     * settlement backstop ages a charge from here, not from `createdAt`: an attempt resumed minutes after
     * the first may still be missing from Stripe's search, and must not be judged never sent.
     */
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    /**
     * No double payment (docs/rules.md#rule-5): at most one charge per order that is not failed, whatever the
     * timing. A declined attempt may be followed by another one.
     */
    uniqueIndex('charges_one_live_per_order_idx')
      .on(table.orderId)
      .where(sql`${table.status} <> 'failed'`),
    index('charges_order_idx').on(table.orderId, table.createdAt),
    /** The settlement backstop's candidates: charges whose outcome is not known yet. */
    index('charges_awaiting_outcome_idx')
      .on(table.lastAttemptAt)
      .where(sql`${table.status} = 'created'`),
    /** The refund backstop's candidates: money taken and not given back. */
    index('charges_unrefunded_idx')
      .on(table.orderId)
      .where(sql`${table.status} = 'completed' and ${table.stripeRefundId} is null`),
    check('charges_status_check', sql`${table.status} in (${quoted(Object.values(ChargeStatus))})`),
    check('charges_failure_kind_check', sql`${table.failureKind} in (${quoted(Object.values(ChargeFailureKind))})`),
    check(
      'charges_failure_kind_when_failed_check',
      sql`(${table.status} = 'failed') = (${table.failureKind} is not null)`,
    ),
    check('charges_amount_check', sql`${table.amount} > 0`),
  ],
);

export type Charge = typeof charges.$inferSelect;

/** Stripe webhook events already handled, by Stripe's event id: a redelivery changes nothing. */
export const stripeEvents = pgTable('stripe_events', {
  id: text('id').primaryKey(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});
