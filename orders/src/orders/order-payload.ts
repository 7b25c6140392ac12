import type { EventData } from '@ticketing/common/events';
import type { Order, TicketReplica } from '../db/schema';

/**
 * An order's whole state as orders publishes it (order.created, order.restated), with its ticket's event
 * start (`ticket.startsAt`, from the ticket replica): payments refuses to take money from then on. The start
 * cannot change while the order is live: a seller edits only a ticket nobody holds.
 */
export function toOrderState(order: Order, ticket: Pick<TicketReplica, 'startsAt'>): EventData<'order.restated'> {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: order.ticketId, price: order.price, startsAt: ticket.startsAt?.toISOString() ?? null },
    version: order.version,
  };
}
