import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common';
import { users, type User } from './schema';

export async function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.email, email));
  return user;
}

export async function findUserById(db: Executor, id: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id));
  return user;
}

/** Inserts a user; resolves to undefined when the email is already taken (the unique index decides). */
export async function insertUser(db: Executor, email: string, passwordHash: string): Promise<User | undefined> {
  const [user] = await db
    .insert(users)
    .values({ email, passwordHash })
    .onConflictDoNothing({ target: users.email })
    .returning();
  return user;
}

/**
 * Applies a change on top of `expectedVersion` and bumps the version; resolves to undefined when the row
 * changed meanwhile (optimistic concurrency, docs/rules.md#rule-3).
 */
export async function updateUser(
  db: Executor,
  id: string,
  expectedVersion: number,
  changes: { email?: string; passwordHash?: string },
): Promise<User | undefined> {
  const [user] = await db
    .update(users)
    .set({ ...changes, version: sql`${users.version} + 1`, updatedAt: new Date() })
    .where(and(eq(users.id, id), eq(users.version, expectedVersion)))
    .returning();
  return user;
}
