import { randomUUID } from 'node:crypto';
import type { EventData } from '@ticketing/common/events';
import type { UnitOfWork } from '@ticketing/common/outbox';
import { tickets } from '../db/schema';
import { formatEventStart, startColumns, startInZone } from './event-start';
import { toTicketView, type TicketInput, type TicketView } from './ticket-view';

/**
 * Lists a ticket for sale and records `ticket.created` (version 0). A new ticket is known in full before
 * its row exists (its id made here, no order, version 0), so the row and its event are written in one
 * statement: one round trip, not four.
 */
export async function createTicket(unitOfWork: UnitOfWork, sellerId: string, input: TicketInput): Promise<TicketView> {
  const id = randomUUID();
  const { title, price, venue = null, timeZone = null } = input;
  // On the venue's clock: at the zone's offset on that date, when the seller named the zone.
  const startsAt = input.startsAt ? startInZone(input.startsAt, timeZone) : null;
  const created: EventData<'ticket.created'> = {
    id,
    title,
    price,
    userId: sellerId,
    orderId: null,
    venue,
    startsAt: startsAt && formatEventStart(startsAt),
    timeZone,
    version: 0,
  };
  const row = { id, title, price, venue, ...startColumns(startsAt), timeZone, userId: sellerId, version: 0 };
  const ticket = await unitOfWork.insertWithEvents(tickets, row, [{ subject: 'ticket.created', data: created }]);
  return toTicketView(ticket);
}
