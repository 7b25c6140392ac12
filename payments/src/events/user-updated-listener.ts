import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { applyUserVersion } from '../payments/apply-user-version';

/** user.updated → the customer's new email, for the next receipts. */
export function userUpdatedListener(unitOfWork: UnitOfWork): ListenerDefinition<'user.updated'> {
  return inboxListener(unitOfWork, {
    subject: 'user.updated',
    durable: 'payments-user-updated',
    orderingKey: (event) => event.data.id,
    apply: (data, { tx }) => applyUserVersion(tx, data),
  });
}
