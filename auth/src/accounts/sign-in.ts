import { BadRequestError, type Outbox, type UserPayload, normalizeEmailAddress } from '@ticketing/common';
import { findUserByEmail } from '../db/users';
import { toUserPayload } from './account-view';
import { decoyPasswordHash, verifyPassword } from './passwords';

/** The same answer for an unknown email and a wrong password, in about the same time. */
export async function signIn(outbox: Outbox, email: string, password: string): Promise<UserPayload> {
  const user = await findUserByEmail(outbox.db, normalizeEmailAddress(email));
  const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
  if (!user || !matches) throw new BadRequestError('Invalid credentials');
  return toUserPayload(user);
}
