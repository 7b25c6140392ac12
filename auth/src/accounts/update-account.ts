import { BadRequestError, ConflictError, NotAuthorizedError } from '@ticketing/common/errors';
import { isUniqueViolation } from '@ticketing/common/database';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { normalizeEmailAddress } from '@ticketing/common/email';
import { findUserByEmail, findUserById, updateUser } from '../db/users';
import { toSignedInAccount, type SignedInAccount } from './account-view';
import type { SessionVersionMirror } from './session-version-mirror';
import { hashPassword, verifyPassword } from './passwords';

export interface AccountChanges {
  currentPassword: string;
  email?: string;
  password?: string;
}

/**
 * Changes the signed-in user's email and/or password after checking the current password, and records
 * `user.updated` with the new version. A new password also raises the session version, so every other
 * session of the account is refused within the middleware's cache window; the caller's own gets a cookie at
 * the new version. 409 when the new email is taken or the account changed meanwhile.
 */
export async function updateAccount(
  unitOfWork: UnitOfWork,
  sessions: SessionVersionMirror,
  userId: string,
  changes: AccountChanges,
): Promise<SignedInAccount> {
  const user = await findUserById(unitOfWork.db, userId);
  // A valid token for an account that no longer exists: treat as signed out.
  if (!user) throw new NotAuthorizedError();
  if (!(await verifyPassword(changes.currentPassword, user.passwordHash))) {
    throw new BadRequestError('Current password is incorrect', 'currentPassword');
  }
  const email = changes.email === undefined ? undefined : normalizeEmailAddress(changes.email);
  const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);

  const updated = await unitOfWork.transaction(async (tx, events) => {
    if (email !== undefined && email !== user.email) {
      const owner = await findUserByEmail(tx, email);
      if (owner) throw new ConflictError('Email in use', 'email');
    }
    const updated = await updateUser(tx, user.id, user.version, { email, passwordHash }).catch((error: unknown) => {
      // The unique index caught a sign-up that took the email between our check and this write.
      if (isUniqueViolation(error)) throw new ConflictError('Email in use', 'email');
      throw error;
    });
    if (!updated) throw new ConflictError('Your account was changed at the same time; please try again');
    await events.record('user.updated', { id: updated.id, email: updated.email, version: updated.version });
    return updated;
  });
  if (updated.sessionVersion !== user.sessionVersion) await sessions.publish(updated.id, updated.sessionVersion);
  return toSignedInAccount(updated);
}
