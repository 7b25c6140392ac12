import { ConflictError, ForbiddenError, NotFoundError, type Outbox } from '@ticketing/common';
import { findTicketById, updateTicket } from '../db/tickets';
import type { Ticket } from '../db/schema';
import { assertWithinResaleCap } from './resell-ticket';
import { toTicketPayload } from './ticket-payload';
import { toTicketView, type TicketInput, type TicketView } from './ticket-view';

/**
 * A seller may change their own ticket, and only while no order holds it (the buyer pays what they saw) and
 * it is not withdrawn.
 */
function assertTicketIsEditable(ticket: Ticket, editorId: string): void {
  if (ticket.userId !== editorId) throw new ForbiddenError('You do not own this ticket');
  if (ticket.orderId !== null) throw new ConflictError('Ticket is reserved and cannot be edited');
  if (ticket.withdrawnAt !== null) throw new ConflictError('Ticket was withdrawn and cannot be edited');
}

/**
 * Changes a ticket's title and price on top of the version read, and records `ticket.updated`. A lock
 * arriving between the read and the write bumps the version, so the write finds nothing and answers 409
 * instead of editing a reserved ticket. A resale listing stays under its cap: the price its seller paid for
 * the bought ticket × `resalePriceCap`.
 */
export async function editTicket(
  outbox: Outbox,
  editorId: string,
  ticketId: string,
  input: TicketInput,
  { resalePriceCap }: { resalePriceCap: number },
): Promise<TicketView> {
  const ticket = await findTicketById(outbox.db, ticketId);
  if (!ticket) throw new NotFoundError();
  assertTicketIsEditable(ticket, editorId);
  if (ticket.resaleOf !== null) {
    const bought = await findTicketById(outbox.db, ticket.resaleOf);
    if (bought?.pricePaid == null) throw new Error(`resale ${ticket.id} lists a ticket with no price paid`);
    assertWithinResaleCap(input.price, bought.pricePaid, resalePriceCap);
  }
  return outbox.transaction(async (tx, events) => {
    const updated = await updateTicket(tx, ticket.id, ticket.version, input);
    if (!updated) throw new ConflictError('Ticket was changed at the same time; please try again');
    await events.record('ticket.updated', toTicketPayload(updated));
    return toTicketView(updated);
  });
}
