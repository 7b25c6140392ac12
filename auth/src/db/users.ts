import { and, eq, gt, sql } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
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
  // A new password revokes every session signed before it (the caller's gets a fresh cookie).
  const revokeSessions =
    changes.passwordHash === undefined
      ? {}
      : { sessionVersion: sql`${users.sessionVersion} + 1`, sessionsRevokedAt: new Date() };
  const [user] = await db
    .update(users)
    .set({ ...changes, ...revokeSessions, version: sql`${users.version} + 1`, updatedAt: new Date() })
    .where(and(eq(users.id, id), eq(users.version, expectedVersion)))
    .returning();
  return user;
}

/** Revokes every session of the user ("sign out everywhere"); resolves to the new session version. */
export async function raiseSessionVersion(db: Executor, id: string): Promise<number | undefined> {
  const [user] = await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1`, sessionsRevokedAt: new Date() })
    .where(eq(users.id, id))
    .returning({ sessionVersion: users.sessionVersion });
  return user?.sessionVersion;
}

/** The session versions raised since `since`: the ones a session signed before could still need refused. */
export async function listSessionVersionsRaisedSince(
  db: Executor,
  since: Date,
): Promise<Array<{ userId: string; sessionVersion: number }>> {
  return db
    .select({ userId: users.id, sessionVersion: users.sessionVersion })
    .from(users)
    .where(gt(users.sessionsRevokedAt, since));
}
