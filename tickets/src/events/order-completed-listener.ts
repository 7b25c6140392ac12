import { RetryLaterError, type ListenerDefinition } from '@ticketing/common/bus';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { markTicketSold } from '../tickets/mark-ticket-sold';

/**
 * `order.completed` → the ticket is sold to that order (shown as sold; it never returns to the list), and owned
 * by its buyer at the price they paid ("my tickets", the resale cap).
 */
export function orderCompletedListener(unitOfWork: UnitOfWork): ListenerDefinition<'order.completed'> {
  return inboxListener(unitOfWork, {
    subject: 'order.completed',
    durable: 'tickets-order-completed',
    orderingKey: (event) => event.data.ticket.id,
    async apply(order, { tx, events, logger }) {
      const outcome = await markTicketSold(tx, events, {
        id: order.id,
        ticketId: order.ticket.id,
        // Absent from events published before resale existed; that order's restatement carries them.
        buyer:
          order.userId !== undefined && order.ticket.price !== undefined
            ? { buyerId: order.userId, pricePaid: order.ticket.price }
            : undefined,
      });
      switch (outcome) {
        case 'sold':
        case 'already-sold':
          logger.info({ orderId: order.id, ticketId: order.ticket.id, outcome }, 'order.completed applied');
          return;
        case 'sold-over-withdrawal':
          logger.warn(
            { orderId: order.id, ticketId: order.ticket.id, outcome },
            'order.completed applied: paid before orders applied the seller’s withdrawal, so the sale stands',
          );
          return;
        // order.created travels on another consumer and may not have locked the ticket yet.
        case 'not-locked-by-order-yet':
        case 'unknown-ticket':
          throw new RetryLaterError(`ticket ${order.ticket.id}: ${outcome}`);
      }
    },
  });
}
