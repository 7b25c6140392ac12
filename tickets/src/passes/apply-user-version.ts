import { RetryLaterError } from '@ticketing/common/bus';
import { decideVersion } from '@ticketing/common/versions';
import { type EventData } from '@ticketing/common/events';
import { type Executor } from '@ticketing/common/database';
import { lockUser, saveUserVersion } from '../db/users';

/**
 * user.created and user.updated carry the same payload: the account at one version. Applied only on top of
 * the version before it (docs/rules.md#rule-3); an early one is retried, a replayed one ignored. The replica
 * says whose a transfer's email is, and the email a pass and the door show.
 */
export async function applyUserVersion(tx: Executor, user: EventData<'user.created' | 'user.updated'>): Promise<void> {
  const current = await lockUser(tx, user.id);
  const decision = decideVersion(current?.version, user.version);
  if (decision === 'early') throw new RetryLaterError(`user ${user.id} version ${user.version} is early`);
  if (decision === 'duplicate') return;
  await saveUserVersion(tx, current, { id: user.id, email: user.email, version: user.version });
}
