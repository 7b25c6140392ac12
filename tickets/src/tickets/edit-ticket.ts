import { ConflictError, ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { findTicketById, updateTicket } from '../db/tickets';
import type { Ticket } from '../db/schema';
import { assertWithinResaleCap } from './resell-ticket';
import { hasStarted, startAndZoneChanges } from './event-start';
import { toTicketPayload } from './ticket-payload';
import { toTicketView, type TicketInput, type TicketView } from './ticket-view';

/**
 * A seller may change their own ticket, only while no order holds it (the buyer pays what they saw), only
 * until its event starts, and never once withdrawn. A started event is a 409 like a reservation, not a 403: the seller is still who may
 * edit it, it is the ticket's state that refuses the change, and only since the clock passed its start.
 */
function assertTicketIsEditable(ticket: Ticket, editorId: string, now: Date): void {
  if (ticket.userId !== editorId) throw new ForbiddenError('You do not own this ticket');
  if (hasStarted(ticket.startsAt, now)) {
    throw new ConflictError('The event has already started; the ticket can no longer be edited');
  }
  if (ticket.orderId !== null) throw new ConflictError('Ticket is reserved and cannot be edited');
  if (ticket.withdrawnAt !== null) throw new ConflictError('Ticket was withdrawn and cannot be edited');
}

/**
 * Changes a ticket's title, price, venue and start on top of the version read, and records `ticket.updated`. A lock
 * arriving between the read and the write bumps the version, so the write finds nothing and answers 409
 * instead of editing a reserved ticket. A resale listing stays under its cap: the price its seller paid for
 * the bought ticket × `resalePriceCap`.
 */
export async function editTicket(
  unitOfWork: UnitOfWork,
  editorId: string,
  ticketId: string,
  input: TicketInput,
  { resalePriceCap }: { resalePriceCap: number },
  now = new Date(),
): Promise<TicketView> {
  const ticket = await findTicketById(unitOfWork.db, ticketId);
  if (!ticket) throw new NotFoundError();
  assertTicketIsEditable(ticket, editorId, now);
  if (ticket.resaleOf !== null) {
    const bought = await findTicketById(unitOfWork.db, ticket.resaleOf);
    if (bought?.pricePaid == null) throw new Error(`resale ${ticket.id} lists a ticket with no price paid`);
    assertWithinResaleCap(input.price, bought.pricePaid, resalePriceCap);
  }
  const { title, price, venue } = input;
  const changes = {
    title,
    price,
    ...(venue !== undefined && { venue }),
    ...startAndZoneChanges(ticket, input),
  };
  return unitOfWork.transaction(async (tx, events) => {
    const updated = await updateTicket(tx, ticket.id, ticket.version, changes);
    if (!updated) throw new ConflictError('Ticket was changed at the same time; please try again');
    await events.record('ticket.updated', toTicketPayload(updated));
    return toTicketView(updated);
  });
}
