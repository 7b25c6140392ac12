import { PermanentEventError } from '@ticketing/common/bus';
import { type EventRecorder } from '@ticketing/common/outbox';
import { type Executor } from '@ticketing/common/database';
import type { Ticket } from '../db/schema';
import { findTicketForUpdate, markTicketRowSold, recordBuyer, selectLiveResalesOf, updateTicket } from '../db/tickets';
import { issuePass } from '../passes/issue-pass';
import { toTicketPayload } from './ticket-payload';

/** What `order.completed` did to the ticket. */
export type SaleOutcome =
  /** Marked sold: version+1 and `ticket.updated` recorded. */
  | 'sold'
  /**
   * Marked sold although its seller had withdrawn it: orders completed the order before it applied the
   * withdrawal, and orders decides who holds a ticket (docs/rules.md#rule-4), so the sale stands.
   */
  | 'sold-over-withdrawal'
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
 *
 * In the same transaction the buyer is issued the ticket's pass (passes/issue-pass.ts): every paid buyer ends
 * with one, whichever way the sale arrives (its event, a restatement, over a withdrawal), and a repeated sale
 * issues nothing new.
 */
export async function markTicketSold(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string; buyer: Buyer | undefined },
): Promise<SaleOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  if (!ticket) return 'unknown-ticket';
  if (ticket.orderId !== order.id) {
    if (ticket.withdrawnAt !== null && ticket.orderId === null && ticket.soldAt === null) {
      return sellOverWithdrawal(tx, events, ticket, order);
    }
    return 'not-locked-by-order-yet';
  }
  if (ticket.soldAt !== null) {
    if (ticket.buyerId === null && order.buyer) await recordBuyer(tx, ticket.id, order.buyer);
    // A restatement that brings the buyer of an older sale issues the pass that sale could not.
    await issuePassToBuyer(tx, events, ticket.id, ticket.buyerId ?? order.buyer?.buyerId);
    return 'already-sold';
  }
  const soldAt = new Date();
  const sold = order.buyer
    ? await markTicketRowSold(tx, ticket.id, ticket.version, { soldAt, ...order.buyer })
    : await updateTicket(tx, ticket.id, ticket.version, { soldAt });
  if (!sold) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(sold));
  await issuePassToBuyer(tx, events, sold.id, sold.buyerId);
  return 'sold';
}

/** The pass of a sale whose buyer is known; a sale recorded without one gets it when its restatement names them. */
async function issuePassToBuyer(
  tx: Executor,
  events: EventRecorder,
  listingId: string,
  buyerId: string | null | undefined,
): Promise<void> {
  if (buyerId === null || buyerId === undefined) return;
  await issuePass(tx, events, { listingId, buyerId });
}

/**
 * The seller withdrew the ticket while an order of it was on its way: a buyer reserved it in orders before the
 * withdrawal reached orders, and paid before it did, so orders kept the order complete (a withdrawal only
 * cancels unpaid orders). The buyer paid; the withdrawal lost the race. The ticket is sold to them and is no
 * longer withdrawn.
 *
 * A withdrawn resale freed its bought ticket to be listed again: a newer listing of the same bought ticket
 * that nobody holds is withdrawn in its place, so one ticket is never for sale twice. One that an order
 * already holds cannot be taken back here: the event is dead-lettered for a person (two buyers of one ticket;
 * one must be refunded), never applied by half.
 */
async function sellOverWithdrawal(
  tx: Executor,
  events: EventRecorder,
  ticket: Ticket,
  order: { id: string; buyer: Buyer | undefined },
): Promise<SaleOutcome> {
  if (ticket.resaleOf !== null) {
    for (const { id } of await selectLiveResalesOf(tx, [ticket.resaleOf])) {
      const newer = await findTicketForUpdate(tx, id);
      if (!newer || newer.withdrawnAt !== null) continue;
      if (newer.orderId !== null || newer.soldAt !== null) {
        throw new PermanentEventError(
          `resale ${ticket.id} was paid for after its withdrawal, and resale ${newer.id} of the same bought ticket ${ticket.resaleOf} is held by order ${newer.orderId}: refund one buyer`,
        );
      }
      const withdrawn = await updateTicket(tx, newer.id, newer.version, { withdrawnAt: new Date() });
      if (!withdrawn) throw new Error(`ticket ${newer.id} changed under its row lock`);
      await events.record('ticket.updated', toTicketPayload(withdrawn));
    }
  }
  const sold = await updateTicket(tx, ticket.id, ticket.version, {
    orderId: order.id,
    soldAt: new Date(),
    withdrawnAt: null,
    ...order.buyer,
  });
  if (!sold) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(sold));
  // The paid buyer holds the pass, over a transfer its seller made after withdrawing this listing.
  await issuePassToBuyer(tx, events, sold.id, sold.buyerId);
  return 'sold-over-withdrawal';
}
