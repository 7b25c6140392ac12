import { inboxListener, type ListenerDefinition, type Outbox } from '@ticketing/common';
import { unlockTicket } from '../tickets/unlock-ticket';

/** `order.cancelled` → free the ticket if this order still holds it, and remember the order as released. */
export function orderCancelledListener(outbox: Outbox): ListenerDefinition<'order.cancelled'> {
  return inboxListener(outbox, {
    subject: 'order.cancelled',
    durable: 'tickets-order-cancelled',
    orderingKey: (event) => event.data.ticket.id,
    async apply(order, { tx, events, logger }) {
      const outcome = await unlockTicket(tx, events, { id: order.id, ticketId: order.ticket.id });
      logger.info({ orderId: order.id, ticketId: order.ticket.id, outcome }, 'order.cancelled applied');
    },
  });
}
