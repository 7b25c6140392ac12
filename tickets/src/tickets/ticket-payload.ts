import type { EventData } from '@ticketing/common/events';
import type { Ticket } from '../db/schema';
import { startOfRow } from './event-start';

/**
 * A ticket as `ticket.created` / `ticket.updated` carry it: cents, and the lock's order id. `withdrawn` is
 * only sent once true: absent means listed, as in every event published before withdrawal existed.
 */
export function toTicketPayload(ticket: Ticket): EventData<'ticket.updated'> {
  return {
    id: ticket.id,
    title: ticket.title,
    price: ticket.price,
    userId: ticket.userId,
    orderId: ticket.orderId,
    venue: ticket.venue,
    startsAt: startOfRow(ticket),
    timeZone: ticket.timeZone,
    ...(ticket.withdrawnAt !== null && { withdrawn: true }),
    version: ticket.version,
  };
}
