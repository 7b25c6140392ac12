import type { ListenerDefinition } from '@ticketing/common/bus';
import { cancelExpiry } from '../expiration/cancel-expiry';
import type { ExpirationQueue } from '../queue/expiration-queue';

/**
 * order.cancelled → remove the order's timer if it has not fired. Nothing to remove (already fired or
 * firing, or order.created not seen yet: the two subjects have separate consumers, so their order is not
 * guaranteed) is fine: orders ignores the expiry of an order that is no longer waiting for payment.
 */
export function orderCancelledListener(queue: ExpirationQueue): ListenerDefinition<'order.cancelled'> {
  return {
    subject: 'order.cancelled',
    durable: 'expiration-order-cancelled',
    orderingKey: (event) => event.data.id,
    async handle(event, { logger }) {
      const orderId = event.data.id;
      const outcome = await cancelExpiry(queue, orderId);
      logger.info(
        { orderId, outcome },
        outcome === 'removed' ? 'order expiry cancelled' : 'no pending expiry to cancel',
      );
    },
  };
}
