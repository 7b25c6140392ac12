import { ConflictError } from '@ticketing/common/errors';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { normalizeEmailAddress } from '@ticketing/common/email';
import { insertUser } from '../db/users';
import { toSignedInAccount, type SignedInAccount } from './account-view';
import { hashPassword } from './passwords';

/** Creates an account and records `user.created`; 409 when the email is taken. */
export async function signUp(unitOfWork: UnitOfWork, email: string, password: string): Promise<SignedInAccount> {
  const passwordHash = await hashPassword(password);
  return unitOfWork.transaction(async (tx, events) => {
    const user = await insertUser(tx, normalizeEmailAddress(email), passwordHash);
    if (!user) throw new ConflictError('Email in use', 'email');
    await events.record('user.created', { id: user.id, email: user.email, version: user.version });
    return toSignedInAccount(user);
  });
}
