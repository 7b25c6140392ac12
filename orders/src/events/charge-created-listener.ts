import { ChargeStatus } from '@ticketing/common/events';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { applyPaymentOutcome } from '../orders/apply-payment-outcome';
import type { ReservationMemory } from '../orders/reservation-memory';
import type { ReservationTerms } from '../orders/reservation-terms';

/**
 * A payment attempt ended: the order is completed or cancelled by its outcome (see applyPaymentOutcome).
 * A charge completed for an order cancelled meanwhile is worth a warning: payments refunds it. A ticket a
 * declined payment frees goes to the first eligible buyer in its waiting list, under `terms`.
 */
export function chargeCreatedListener(
  unitOfWork: UnitOfWork,
  terms: ReservationTerms,
  memory: ReservationMemory,
): ListenerDefinition<'charge.created'> {
  return inboxListener(unitOfWork, {
    subject: 'charge.created',
    durable: 'orders-charge-created',
    orderingKey: (event) => event.data.orderId,
    async apply(data, { tx, events, logger }) {
      const log = logger.child({ orderId: data.orderId, chargeId: data.id, chargeStatus: data.status });
      const outcome = await applyPaymentOutcome({ tx, events }, memory, data, terms);
      switch (outcome.status) {
        case ChargeStatus.Completed:
          if (outcome.order.result === 'cancelled')
            log.warn('charge completed for a cancelled order; payments refunds it');
          else log.info({ result: outcome.order.result }, 'paid order handled');
          return;
        case ChargeStatus.Failed:
          log.info(
            {
              result: outcome.order.result,
              handedOverTo: outcome.order.result === 'cancelled' ? outcome.order.handOver.order?.id : undefined,
            },
            'declined payment handled',
          );
          return;
        case ChargeStatus.Created:
          log.info('charge still in progress; nothing to do');
          return;
      }
    },
  });
}
