import { BadRequestError } from '@ticketing/common/errors';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { normalizeEmailAddress } from '@ticketing/common/email';
import { findUserByEmail } from '../db/users';
import { toSignedInAccount, type SignedInAccount } from './account-view';
import { decoyPasswordHash, verifyPassword } from './passwords';

/** The same answer for an unknown email and a wrong password, in about the same time. */
export async function signIn(unitOfWork: UnitOfWork, email: string, password: string): Promise<SignedInAccount> {
  const user = await findUserByEmail(unitOfWork.db, normalizeEmailAddress(email));
  const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
  if (!user || !matches) throw new BadRequestError('Invalid credentials');
  return toSignedInAccount(user);
}
