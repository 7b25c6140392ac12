import { RetryLaterError, type ListenerDefinition } from '@ticketing/common/bus';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { lockTicket } from '../tickets/lock-ticket';

/** `order.created` → lock the ticket for the order (docs/rules.md#rule-4: tickets mirrors what orders decided). */
export function orderCreatedListener(unitOfWork: UnitOfWork): ListenerDefinition<'order.created'> {
  return inboxListener(unitOfWork, {
    subject: 'order.created',
    durable: 'tickets-order-created',
    // Keyed by the ticket whose row the effect locks: one ticket's events in the order they came.
    orderingKey: (event) => event.data.ticket.id,
    async apply(order, { tx, events, logger }) {
      const outcome = await lockTicket(tx, events, { id: order.id, ticketId: order.ticket.id });
      switch (outcome) {
        case 'locked':
        case 'already-locked':
        case 'order-released':
        case 'ticket-withdrawn':
          // ticket-withdrawn: orders cancels a live order of a withdrawn ticket once the withdrawal reaches it.
          logger.info({ orderId: order.id, ticketId: order.ticket.id, outcome }, 'order.created applied');
          return;
        // Retried later, waiting longer each time, within the bus's retry budget: time for the event we are
        // waiting on to arrive.
        case 'held-by-another-order':
          // Orders allows one live order per ticket, so the holder's order.cancelled is on its way.
          throw new RetryLaterError('ticket is held by another order');
        case 'unknown-ticket':
          // Cannot happen in order (orders learns tickets from us); if it does, the dead-letter subject keeps it
          // once the retry budget runs out.
          throw new RetryLaterError(`ticket ${order.ticket.id} is unknown`);
      }
    },
  });
}
