import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { applyUserVersion } from '../passes/apply-user-version';

/**
 * Keeps the users replica (whom a transfer names by email; the holder's email on a pass and at the door),
 * applying `user.created` and `user.updated` from ONE consumer in the order auth stored them, each version only
 * on top of the one before it (docs/rules.md#rule-3).
 */
export function userEventsListener(unitOfWork: UnitOfWork): ListenerDefinition<'user.created' | 'user.updated'> {
  return inboxListener(unitOfWork, {
    subject: ['user.created', 'user.updated'],
    durable: 'tickets-users',
    orderingKey: (event) => event.data.id,
    apply: (data, { tx }) => applyUserVersion(tx, data),
  });
}
