import { randomUUID } from 'node:crypto';
import type { EventData, Outbox } from '@ticketing/common';
import { tickets } from '../db/schema';
import { toTicketView, type TicketInput, type TicketView } from './ticket-view';

/**
 * Lists a ticket for sale and records `ticket.created` (version 0). A new ticket is known in full before
 * its row exists (its id made here, no order, version 0), so the row and its event are written in one
 * statement: one round trip, not four.
 */
export async function createTicket(outbox: Outbox, sellerId: string, input: TicketInput): Promise<TicketView> {
  const id = randomUUID();
  const created: EventData<'ticket.created'> = { id, ...input, userId: sellerId, orderId: null, version: 0 };
  const ticket = await outbox.insertWithEvents(tickets, { id, ...input, userId: sellerId, version: 0 }, [
    { subject: 'ticket.created', data: created },
  ]);
  return toTicketView(ticket);
}
