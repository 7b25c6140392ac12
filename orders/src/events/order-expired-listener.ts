import { inboxListener, type ListenerDefinition, type Outbox } from '@ticketing/common';
import { expireOrder } from '../orders/expire-order';

/** The buyer's time is up: cancel the order and free the ticket, unless it was paid in time. */
export function orderExpiredListener(outbox: Outbox): ListenerDefinition<'order.expired'> {
  return inboxListener(outbox, {
    subject: 'order.expired',
    durable: 'orders-order-expired',
    orderingKey: (event) => event.data.orderId,
    async apply(data, { tx, events, logger }) {
      const outcome = await expireOrder({ tx, events }, data.orderId);
      if (outcome.result === 'not-found') logger.warn({ orderId: data.orderId }, 'expiry for an unknown order ignored');
      else logger.info({ orderId: data.orderId, result: outcome.result }, 'order expiry handled');
    },
  });
}
