import { ConflictError, ForbiddenError, NotFoundError, OrderStatus, type Outbox } from '@ticketing/common';
import type { WaitingListEntry } from '@ticketing/common/api';
import { findHolderOfTicket } from '../db/orders';
import { TICKET_WITHDRAWN_MESSAGE } from './create-order';
import { EVENT_STARTED_MESSAGE, eventHasStarted } from './event-start';
import { findPlace, insertPlace, lockTicketLine } from '../db/waiting-list';

export const TICKET_FOR_SALE_MESSAGE = 'The ticket is for sale; buy it instead';
export const TICKET_SOLD_MESSAGE = 'The ticket is sold';
export const TICKET_HELD_BY_YOU_MESSAGE = 'You already hold this ticket';

/**
 * Queues the buyer for a ticket another buyer holds, at the ticket's current price: when the holding order is
 * cancelled or expires, the first eligible buyer in line is handed a reservation (handOverTicket). Joining
 * again changes nothing and answers the same place.
 *
 * 404 for a ticket this service does not know, 403 for the buyer's own listing, 409 when no order holds the
 * ticket (buy it instead), when it is sold or withdrawn, when its event has started, or when the buyer holds it. Takes the ticket's line lock first,
 * the one a hand-over takes: a join and a release of the same ticket never interleave, so nobody joins the
 * line of a ticket that has just been freed, and positions follow the order people joined in.
 */
export async function joinWaitingList(outbox: Outbox, buyerId: string, ticketId: string): Promise<WaitingListEntry> {
  return outbox.transaction(async (tx) => {
    const ticket = await lockTicketLine(tx, ticketId);
    if (!ticket) throw new NotFoundError('Ticket not found');
    if (ticket.userId === buyerId) throw new ForbiddenError('You cannot queue for your own ticket');
    if (ticket.withdrawn) throw new ConflictError(TICKET_WITHDRAWN_MESSAGE);
    if (eventHasStarted(ticket)) throw new ConflictError(EVENT_STARTED_MESSAGE);
    const holder = await findHolderOfTicket(tx, ticketId);
    if (!holder) throw new ConflictError(TICKET_FOR_SALE_MESSAGE);
    if (holder.status === OrderStatus.Complete) throw new ConflictError(TICKET_SOLD_MESSAGE);
    if (holder.userId === buyerId) throw new ConflictError(TICKET_HELD_BY_YOU_MESSAGE);

    await insertPlace(tx, { ticketId, userId: buyerId, price: ticket.price });
    const place = await findPlace(tx, ticketId, buyerId);
    if (!place) throw new Error(`place of ${buyerId} for ticket ${ticketId} vanished under the line's lock`);
    return { ticketId, position: place.position };
  });
}
