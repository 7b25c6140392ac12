import { and, eq } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { users } from './schema';

export type ReplicaUser = typeof users.$inferSelect;

/** Reads a user of the replica and locks the row (when there is one) until the transaction ends. */
export async function lockUser(tx: Executor, id: string): Promise<ReplicaUser | undefined> {
  const [user] = await tx.select().from(users).where(eq(users.id, id)).for('update');
  return user;
}

/** Applies version `user.version` of a user on top of `previous` (none for the first one). */
export async function saveUserVersion(
  tx: Executor,
  previous: ReplicaUser | undefined,
  user: ReplicaUser,
): Promise<void> {
  if (!previous) {
    await tx.insert(users).values(user).onConflictDoNothing({ target: users.id });
    return;
  }
  await tx
    .update(users)
    .set({ email: user.email, version: user.version })
    .where(and(eq(users.id, user.id), eq(users.version, previous.version)));
}

/**
 * The account an address names, as auth stores it (normalised). Undefined when none does, and when two rows
 * do for a moment (two accounts' changes of address reaching this replica out of order): better no recipient
 * than the wrong one.
 */
export async function findUserByEmail(db: Executor, email: string): Promise<ReplicaUser | undefined> {
  const found = await db.select().from(users).where(eq(users.email, email)).limit(2);
  return found.length === 1 ? found[0] : undefined;
}
