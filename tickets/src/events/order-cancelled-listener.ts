import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { unlockTicket } from '../tickets/unlock-ticket';

/**
 * `order.cancelled` → free the ticket if this order still holds it, or move its lock straight to the order
 * it was handed to (the next buyer in the waiting list), and remember the order as released.
 */
export function orderCancelledListener(unitOfWork: UnitOfWork): ListenerDefinition<'order.cancelled'> {
  return inboxListener(unitOfWork, {
    subject: 'order.cancelled',
    durable: 'tickets-order-cancelled',
    orderingKey: (event) => event.data.ticket.id,
    async apply(order, { tx, events, logger }) {
      const outcome = await unlockTicket(tx, events, {
        id: order.id,
        ticketId: order.ticket.id,
        handedOverTo: order.handedOverTo?.id,
      });
      logger.info(
        { orderId: order.id, ticketId: order.ticket.id, handedOverTo: order.handedOverTo?.id, outcome },
        'order.cancelled applied',
      );
    },
  });
}
