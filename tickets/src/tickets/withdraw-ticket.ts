import { ConflictError, ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { findTicketForUpdate, updateTicket } from '../db/tickets';
import { toTicketPayload } from './ticket-payload';

/**
 * The seller takes their own listing off sale, for good: it leaves the list, `ticket.updated` tells orders it
 * is no longer buyable (withdrawn: true), and a resale withdrawn this way frees its bought ticket to be
 * listed again. Refused while an order holds it or once sold (409). The ticket's row lock orders this against
 * a lock arriving from `order.created`: whichever commits second sees the other. An order that reaches orders
 * before the withdrawal but here after it is cancelled by orders when the withdrawal reaches it.
 * Withdrawing a withdrawn ticket changes nothing.
 */
export async function withdrawTicket(unitOfWork: UnitOfWork, sellerId: string, ticketId: string): Promise<void> {
  await unitOfWork.transaction(async (tx, events) => {
    const ticket = await findTicketForUpdate(tx, ticketId);
    if (!ticket) throw new NotFoundError();
    if (ticket.userId !== sellerId) throw new ForbiddenError('You do not own this ticket');
    if (ticket.soldAt !== null) throw new ConflictError('Ticket is sold and cannot be withdrawn');
    if (ticket.orderId !== null) throw new ConflictError('Ticket is reserved and cannot be withdrawn');
    if (ticket.withdrawnAt !== null) return;
    const withdrawn = await updateTicket(tx, ticket.id, ticket.version, { withdrawnAt: new Date() });
    if (!withdrawn) throw new Error(`ticket ${ticket.id} changed under its row lock`);
    await events.record('ticket.updated', toTicketPayload(withdrawn));
  });
}
