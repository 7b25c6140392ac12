import type { EventRecorder, Executor } from '@ticketing/common';
import { findTicketForUpdate, updateTicket } from '../db/tickets';
import { toTicketPayload } from './ticket-payload';

/** What `order.completed` did to the ticket. */
export type SaleOutcome =
  /** Marked sold: version+1 and `ticket.updated` recorded. */
  | 'sold'
  /** Already sold to this order (a repeated event): nothing changed. */
  | 'already-sold'
  /** The ticket does not show this order's lock yet: its `order.created` is still on its way. */
  | 'not-locked-by-order-yet'
  | 'unknown-ticket';

/** Marks the ticket sold to the order that paid for it. A complete order is never cancelled, so this is final. */
export async function markTicketSold(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string },
): Promise<SaleOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  if (!ticket) return 'unknown-ticket';
  if (ticket.orderId !== order.id) return 'not-locked-by-order-yet';
  if (ticket.soldAt !== null) return 'already-sold';
  const sold = await updateTicket(tx, ticket.id, ticket.version, { soldAt: new Date() });
  if (!sold) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(sold));
  return 'sold';
}
