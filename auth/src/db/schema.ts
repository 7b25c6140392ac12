import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// The outbox and inbox tables live in every service's database; re-exported so drizzle-kit migrates them.
export { outbox, processedEvents } from '@ticketing/common';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Trimmed and lower-cased before it is stored; unique. */
  email: text('email').notNull().unique(),
  /** scrypt with a per-user salt; see passwords.ts for the format. */
  passwordHash: text('password_hash').notNull(),
  version: integer('version').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type User = typeof users.$inferSelect;
