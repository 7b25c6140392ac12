import { decimalFromCents } from '@ticketing/common/money';
import { type Executor } from '@ticketing/common/database';
import type { OwnedTicket } from '@ticketing/common/api';
import { selectPassesHeldBy } from '../db/passes';
import { selectLiveResalesOf } from '../db/tickets';
import { startOfRow } from './event-start';
import { maxResalePriceCents } from './resale-price-cap';
import { toTicketView } from './ticket-view';

/** Most tickets "my tickets" shows; a holder with more sees the latest issued. */
export const MY_TICKETS_LIMIT = 200;

/**
 * What a user holds: the pass of each ticket they bought and still hold, or were handed (a transfer), with the
 * listing it came through (its event's venue and start, the price that sale paid, the most it may be listed
 * again for, and its resale listing unless that was withdrawn), the ticket as its issuer listed it (what the
 * code names), the code's generation and the admission. A buyer who handed a pass on, or whose pass a resale
 * moved to its buyer, no longer sees it.
 */
export async function listOwnedTickets(db: Executor, holderId: string, resalePriceCap: number): Promise<OwnedTicket[]> {
  const held = await selectPassesHeldBy(db, holderId, MY_TICKETS_LIMIT);
  const resales = new Map(
    (
      await selectLiveResalesOf(
        db,
        held.map(({ held: ticket }) => ticket.id),
      )
    ).map((resale) => [resale.resaleOf, resale]),
  );
  return held.flatMap(({ pass, held: ticket, admittedAt }) => {
    // A pass is issued only for a sale with a known buyer, so the sale recorded its order and price.
    if (ticket.pricePaid === null || ticket.orderId === null) return [];
    const resale = resales.get(ticket.id);
    return [
      {
        id: ticket.id,
        ticketId: pass.ticketId,
        generation: pass.generation,
        admittedAt: admittedAt?.toISOString() ?? null,
        title: ticket.title,
        venue: ticket.venue,
        startsAt: startOfRow(ticket),
        timeZone: ticket.timeZone,
        pricePaid: decimalFromCents(ticket.pricePaid),
        maxResalePrice: decimalFromCents(maxResalePriceCents(ticket.pricePaid, resalePriceCap)),
        orderId: ticket.orderId,
        resale: resale ? toTicketView(resale) : null,
      },
    ];
  });
}
