import { RetryLaterError, type ListenerDefinition } from '@ticketing/common/bus';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { reconcileTicketWithOrder } from '../tickets/reconcile-ticket-with-order';

/**
 * `order.restated` → make the ticket show what orders decided for that order (docs/rules.md#rule-7), whatever
 * this service missed: locked while the order is unpaid, free once it is cancelled, sold once it is
 * complete. Applied with the same rules as the order's own events, so a stale restatement cannot undo a
 * newer one.
 */
export function orderRestatedListener(unitOfWork: UnitOfWork): ListenerDefinition<'order.restated'> {
  return inboxListener(unitOfWork, {
    subject: 'order.restated',
    durable: 'tickets-order-restated',
    orderingKey: (event) => event.data.ticket.id,
    async apply(order, { tx, events, logger }) {
      const outcome = await reconcileTicketWithOrder(tx, events, {
        id: order.id,
        ticketId: order.ticket.id,
        status: order.status,
        buyer: { buyerId: order.userId, pricePaid: order.ticket.price },
      });
      switch (outcome) {
        // not-locked-by-order-yet: a complete order this service saw released (cancelled); no retry changes that.
        case 'locked':
        case 'already-locked':
        case 'order-released':
        case 'ticket-withdrawn':
        case 'unlocked':
        case 'handed-over':
        case 'not-held-by-order':
        case 'sold':
        case 'already-sold':
        case 'sold-over-withdrawal':
        case 'not-locked-by-order-yet':
          logger.info(
            { orderId: order.id, ticketId: order.ticket.id, status: order.status, outcome },
            'order restated',
          );
          return;
        case 'held-by-another-order':
        case 'unknown-ticket':
          // The other order's cancellation (or restatement) is on its way; try again within the retry budget.
          throw new RetryLaterError(`ticket ${order.ticket.id}: ${outcome}`);
      }
    },
  });
}
