import { NotAuthorizedError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import { raiseSessionVersion } from '../db/users';
import type { SessionVersionMirror } from './session-version-mirror';

/**
 * Revokes every session of the user, this browser's and any copied cookie alike: the session version goes up
 * in the database, then to Redis, and every service refuses older tokens within its cache window.
 */
export async function signOutEverywhere(db: Executor, sessions: SessionVersionMirror, userId: string): Promise<void> {
  const version = await raiseSessionVersion(db, userId);
  // A valid token for an account that no longer exists: nothing to revoke, treat as signed out.
  if (version === undefined) throw new NotAuthorizedError();
  await sessions.publish(userId, version);
}
