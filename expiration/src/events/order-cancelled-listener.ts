import type { ListenerDefinition } from '@ticketing/common/bus';
import { CancellationReason } from '@ticketing/common/events';
import { cancelExpiry } from '../expiration/cancel-expiry';
import type { ExpirationQueue } from '../queue/expiration-queue';

/**
 * order.cancelled → remove the order's timer if it has not fired (an order that expired has none left to
 * remove, and Redis is not asked). Nothing to remove (already fired or
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
      if (event.data.reason === CancellationReason.Expired) {
        // Its timer has fired (an expiry starts there), or, if orders' sweep found it overdue first, will fire
        // for an order no longer waiting: nothing to ask Redis. Most cancellations are these.
        logger.info({ orderId, outcome: 'expired' }, 'no pending expiry to cancel');
        return;
      }
      const outcome = await cancelExpiry(queue, orderId);
      logger.info(
        { orderId, outcome },
        outcome === 'removed' ? 'order expiry cancelled' : 'no pending expiry to cancel',
      );
    },
  };
}
