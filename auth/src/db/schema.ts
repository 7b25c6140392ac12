import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// The outbox and inbox tables live in every service's database; re-exported so drizzle-kit migrates them.
export { outbox, processedEvents } from '@ticketing/common/outbox';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Trimmed and lower-cased before it is stored; unique. */
  email: text('email').notNull().unique(),
  /** scrypt with a per-user salt; see passwords.ts for the format. */
  passwordHash: text('password_hash').notNull(),
  version: integer('version').notNull().default(0),
  /**
   * Raised by "sign out everywhere" and by a password change: every session token carries the version it was
   * issued at, and one below this is refused by every service (mirrored to Redis, see SessionVersions).
   */
  sessionVersion: integer('session_version').notNull().default(0),
  /** When `sessionVersion` was last raised; auth re-mirrors the versions raised within a session's lifetime. */
  sessionsRevokedAt: timestamp('sessions_revoked_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type User = typeof users.$inferSelect;
