import { RetryLaterError, decideVersion, inboxListener, type ListenerDefinition, type Outbox } from '@ticketing/common';
import { insertOrder, lockOrder } from '../db/orders';

/** order.created → the order replica a payment checks: buyer, price in cents, status. */
export function orderCreatedListener(outbox: Outbox): ListenerDefinition<'order.created'> {
  return inboxListener(outbox, {
    subject: 'order.created',
    durable: 'payments-order-created',
    async apply(data, { tx }) {
      const current = await lockOrder(tx, data.id);
      const decision = decideVersion(current?.version, data.version);
      if (decision === 'early') throw new RetryLaterError(`order ${data.id} version ${data.version} is early`);
      if (decision === 'duplicate') return;
      await insertOrder(tx, {
        id: data.id,
        userId: data.userId,
        status: data.status,
        price: data.ticket.price,
        version: data.version,
      });
    },
  });
}
