import {
  BadRequestError,
  ConflictError,
  NotAuthorizedError,
  isUniqueViolation,
  type Outbox,
  type UserPayload,
} from '@ticketing/common';
import { findUserByEmail, findUserById, insertUser, updateUser } from '../db/users';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords';

/** Emails are compared and stored trimmed and lower-cased: `Ann@X.com ` and `ann@x.com` are one account. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const toPayload = (user: { id: string; email: string }): UserPayload => ({ id: user.id, email: user.email });

/** Creates an account and records `user.created`; 409 when the email is taken. */
export async function signUp(outbox: Outbox, email: string, password: string): Promise<UserPayload> {
  const passwordHash = await hashPassword(password);
  return outbox.transaction(async (tx, events) => {
    const user = await insertUser(tx, normalizeEmail(email), passwordHash);
    if (!user) throw new ConflictError('Email in use', 'email');
    await events.record('user.created', { id: user.id, email: user.email, version: user.version });
    return toPayload(user);
  });
}

/** The same answer for an unknown email and a wrong password, in about the same time. */
export async function signIn(outbox: Outbox, email: string, password: string): Promise<UserPayload> {
  const user = await findUserByEmail(outbox.db, normalizeEmail(email));
  const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
  if (!user || !matches) throw new BadRequestError('Invalid credentials');
  return toPayload(user);
}

export interface AccountChanges {
  currentPassword: string;
  email?: string;
  password?: string;
}

/**
 * Changes the signed-in user's email and/or password after checking the current password, and records
 * `user.updated` with the new version. 409 when the new email is taken or the account changed meanwhile.
 */
export async function updateAccount(outbox: Outbox, userId: string, changes: AccountChanges): Promise<UserPayload> {
  const user = await findUserById(outbox.db, userId);
  // A valid token for an account that no longer exists: treat as signed out.
  if (!user) throw new NotAuthorizedError();
  if (!(await verifyPassword(changes.currentPassword, user.passwordHash))) {
    throw new BadRequestError('Current password is incorrect', 'currentPassword');
  }
  const email = changes.email === undefined ? undefined : normalizeEmail(changes.email);
  const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);

  return outbox.transaction(async (tx, events) => {
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
    return toPayload(updated);
  });
}
