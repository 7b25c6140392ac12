import { inboxListener, type ListenerDefinition, type Outbox } from '@ticketing/common';
import { applyUserVersion } from '../payments/apply-user-version';

/** user.updated → the customer's new email, for the next receipts. */
export function userUpdatedListener(outbox: Outbox): ListenerDefinition<'user.updated'> {
  return inboxListener(outbox, {
    subject: 'user.updated',
    durable: 'payments-user-updated',
    orderingKey: (event) => event.data.id,
    apply: (data, { tx }) => applyUserVersion(tx, data),
  });
}
