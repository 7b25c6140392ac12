import { ChargeStatus, inboxListener, type Outbox } from '@ticketing/common';
import { cancelOrder, completeOrder } from '../orders/orders';

/**
 * A payment attempt ended: a completed charge makes the order complete (the ticket is sold); a failed one
 * cancels it and frees the ticket. A charge completed for an order cancelled meanwhile leaves it cancelled:
 * the payments service refunds that charge (DESIGN.md rule 5).
 */
export function chargeCreatedListener(outbox: Outbox) {
  return inboxListener(outbox, {
    subject: 'charge.created',
    durable: 'orders-charge-created',
    orderingKey: (event) => event.data.orderId,
    async apply(data, { tx, events, logger }) {
      const log = logger.child({ orderId: data.orderId, chargeId: data.id, chargeStatus: data.status });
      switch (data.status) {
        case ChargeStatus.Completed: {
          const outcome = await completeOrder({ tx, events }, data.orderId);
          if (outcome.result === 'cancelled') log.warn('charge completed for a cancelled order; payments refunds it');
          else log.info({ result: outcome.result }, 'paid order handled');
          return;
        }
        case ChargeStatus.Failed: {
          const outcome = await cancelOrder({ tx, events }, data.orderId);
          log.info({ result: outcome.result }, 'declined payment handled');
          return;
        }
        case ChargeStatus.Created:
          // Not an outcome yet; the payments service publishes the final one.
          log.info('charge still in progress; nothing to do');
          return;
      }
    },
  });
}
