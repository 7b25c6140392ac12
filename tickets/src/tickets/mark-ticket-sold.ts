import type { EventRecorder, Executor } from '@ticketing/common';
import { findTicketForUpdate, recordBuyer, updateTicket } from '../db/tickets';
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

/** Who paid for the ticket and how much (cents): the order's buyer and price. */
export interface Buyer {
  buyerId: string;
  pricePaid: number;
}

/**
 * Marks the ticket sold to the order that paid for it, and owned by its buyer at the price they paid. A
 * complete order is never cancelled, so this is final. `buyer` is unknown for an `order.completed` published
 * before resale existed; the order's restatement brings it, and fills it in on a ticket already sold.
 */
export async function markTicketSold(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string; buyer: Buyer | undefined },
): Promise<SaleOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  if (!ticket) return 'unknown-ticket';
  if (ticket.orderId !== order.id) return 'not-locked-by-order-yet';
  if (ticket.soldAt !== null) {
    if (ticket.buyerId === null && order.buyer) await recordBuyer(tx, ticket.id, order.buyer);
    return 'already-sold';
  }
  const sold = await updateTicket(tx, ticket.id, ticket.version, { soldAt: new Date(), ...order.buyer });
  if (!sold) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(sold));
  return 'sold';
}
