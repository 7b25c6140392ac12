import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { applyUserVersion } from '../payments/apply-user-version';

/** user.created → the customer's email, sent to Stripe for the receipt. */
export function userCreatedListener(unitOfWork: UnitOfWork): ListenerDefinition<'user.created'> {
  return inboxListener(unitOfWork, {
    subject: 'user.created',
    durable: 'payments-user-created',
    orderingKey: (event) => event.data.id,
    apply: (data, { tx }) => applyUserVersion(tx, data),
  });
}
