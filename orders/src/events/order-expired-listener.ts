import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { expireOrder } from '../orders/expire-order';
import type { ReservationMemory } from '../orders/reservation-memory';
import type { ReservationTerms } from '../orders/reservation-terms';

/**
 * The buyer's time is up: cancel the order and free the ticket (or hand it to the first eligible buyer in its
 * waiting list, under `terms`), unless it was paid in time.
 */
export function orderExpiredListener(
  unitOfWork: UnitOfWork,
  terms: ReservationTerms,
  memory: ReservationMemory,
): ListenerDefinition<'order.expired'> {
  return inboxListener(unitOfWork, {
    subject: 'order.expired',
    durable: 'orders-order-expired',
    orderingKey: (event) => event.data.orderId,
    async apply(data, { tx, events, logger }) {
      const outcome = await expireOrder({ tx, events }, memory, data.orderId, terms);
      switch (outcome.result) {
        case 'not-found':
          logger.warn({ orderId: data.orderId }, 'expiry for an unknown order ignored');
          return;
        case 'cancelled': {
          const { order, placesDropped, waitersPassedOver } = outcome.handOver;
          logger.info(
            {
              orderId: data.orderId,
              result: outcome.result,
              handedOverTo: order?.id,
              placesDropped,
              waitersPassedOver,
            },
            'order expiry handled',
          );
          return;
        }
        case 'already-cancelled':
        case 'complete':
          logger.info({ orderId: data.orderId, result: outcome.result }, 'order expiry handled');
          return;
      }
    },
  });
}
