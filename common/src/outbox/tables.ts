import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { TraceCarrier } from '../observability/tracing';

/**
 * Events a service owes, written in the same transaction as the change they describe (docs/rules.md#rule-1).
 * Every service's schema re-exports this table so drizzle-kit puts it in that service's migrations.
 */
export const outbox = pgTable(
  'outbox',
  {
    /** Insertion order: the relay publishes in this order. Not a high-water mark (see relay). */
    sequence: bigserial('sequence', { mode: 'number' }).primaryKey(),
    eventId: uuid('event_id').notNull().unique(),
    subject: text('subject').notNull(),
    data: jsonb('data').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /**
     * The trace the event was recorded in (`traceparent`, `tracestate`), when tracing is on: the relay
     * publishes later from another async context, so the context waits here with the row and travels on
     * in the message's headers.
     */
    traceContext: jsonb('trace_context').$type<TraceCarrier>(),
  },
  (table) => [
    index('outbox_unsent_idx')
      .on(table.sequence)
      .where(sql`${table.sentAt} is null`),
  ],
);

/**
 * Events a listener has applied (docs/rules.md#rule-2), recorded in the same transaction as the effect, so a
 * redelivered event changes nothing twice. Keyed by consumer too: two listeners of one service may both
 * need the same event.
 */
export const processedEvents = pgTable(
  'processed_events',
  {
    consumer: text('consumer').notNull(),
    eventId: uuid('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.consumer, table.eventId] })],
);
