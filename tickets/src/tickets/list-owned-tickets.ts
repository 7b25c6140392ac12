import { decimalFromCents, type Executor } from '@ticketing/common';
import type { OwnedTicket } from '@ticketing/common/api';
import { selectLiveResalesOf, selectTicketsBoughtBy } from '../db/tickets';
import { startOfRow } from './event-start';
import { maxResalePriceCents } from './resale-price-cap';
import { toTicketView } from './ticket-view';

/** Most tickets "my tickets" shows; a buyer with more sees the latest purchases. */
export const MY_TICKETS_LIMIT = 200;

/**
 * What a buyer owns: each ticket they bought (its event's venue and start), the price they paid, the most they may list it again for,
 * and its resale listing unless that was withdrawn.
 */
export async function listOwnedTickets(db: Executor, buyerId: string, resalePriceCap: number): Promise<OwnedTicket[]> {
  const bought = await selectTicketsBoughtBy(db, buyerId, MY_TICKETS_LIMIT);
  const resales = new Map(
    (
      await selectLiveResalesOf(
        db,
        bought.map((ticket) => ticket.id),
      )
    ).map((resale) => [resale.resaleOf, resale]),
  );
  return bought.flatMap((ticket) => {
    // selectTicketsBoughtBy reads only sold tickets with a buyer, so both are set.
    if (ticket.pricePaid === null || ticket.orderId === null) return [];
    const resale = resales.get(ticket.id);
    return [
      {
        id: ticket.id,
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
