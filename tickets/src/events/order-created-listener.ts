import {
  RetryLaterError,
  backoffDelayMs,
  inboxListener,
  type ListenerDefinition,
  type Outbox,
} from '@ticketing/common';
import { lockTicket } from '../tickets/locks';
import type { ListenerOptions } from './listener-options';

/** `order.created` → lock the ticket for the order (DESIGN.md rule 4: tickets mirrors what orders decided). */
export function orderCreatedListener(
  outbox: Outbox,
  options: ListenerOptions = {},
): ListenerDefinition<'order.created'> {
  return inboxListener(outbox, {
    subject: 'order.created',
    durable: 'tickets-order-created',
    maxDeliveries: options.maxDeliveries,
    async apply(order, { tx, events, deliveryCount, logger }) {
      const outcome = await lockTicket(tx, events, { id: order.id, ticketId: order.ticket.id });
      switch (outcome) {
        case 'locked':
        case 'already-locked':
        case 'order-released':
          logger.info({ orderId: order.id, ticketId: order.ticket.id, outcome }, 'order.created applied');
          return;
        // Retried later, waiting longer each time (250 ms doubling to 30 s), so that the bounded deliveries
        // span a minute or two: time for the event we are waiting on to arrive.
        case 'held-by-another-order':
          // Orders allows one live order per ticket, so the holder's order.cancelled is on its way.
          throw new RetryLaterError('ticket is held by another order', backoffDelayMs(deliveryCount));
        case 'unknown-ticket':
          // Cannot happen in order (orders learns tickets from us); if it does, the dead-letter subject keeps it.
          throw new RetryLaterError(`ticket ${order.ticket.id} is unknown`, backoffDelayMs(deliveryCount));
      }
    },
  });
}
