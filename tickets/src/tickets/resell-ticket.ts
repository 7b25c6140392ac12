import { randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { decimalFromCents } from '@ticketing/common/money';
import { isUniqueViolation } from '@ticketing/common/database';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { findAdmission, lockPassNamedBy, type Pass } from '../db/passes';
import { findTicketForUpdate } from '../db/tickets';
import { tickets, type Ticket } from '../db/schema';
import { ALREADY_ADMITTED_MESSAGE } from '../passes/messages';
import { hasStarted } from './event-start';
import { maxResalePriceCents } from './resale-price-cap';
import { toTicketPayload } from './ticket-payload';
import { toTicketView, type TicketView } from './ticket-view';

/** The index that allows one resale listing at a time per bought ticket, unless withdrawn. */
export const ONE_RESALE_INDEX = 'tickets_one_resale_idx';

export const ALREADY_RESOLD_MESSAGE = 'This ticket is already listed again';

/** Nobody can buy a ticket to an event that has begun, so it is not listed again either. */
export const EVENT_STARTED_MESSAGE = 'The event has already started';

/** The 400 of a resale price above the cap: names `price` and says the maximum. */
export function assertWithinResaleCap(priceCents: number, pricePaidCents: number, cap: number): void {
  const max = maxResalePriceCents(pricePaidCents, cap);
  if (priceCents > max) {
    throw new BadRequestError(`Price must be at most ${decimalFromCents(max).toFixed(2)} for this ticket`, 'price');
  }
}

/**
 * Lists a bought ticket again for its owner, the holder of the pass that came through it (its buyer, or whoever
 * it was transferred to): a new ticket with the same title, venue and start, the owner as seller and
 * `resaleOf` naming the bought one, at most at the price paid × the cap; 409 once its event has started or it
 * was admitted. The bought ticket's row lock serializes two requests of one owner, and the partial unique index
 * on `resale_of` would refuse the second in any case: exactly one wins, the other is a 409. The pass's row
 * lock (taken after the ticket's, as a sale does) orders it with a transfer: a transfer after it sees the
 * listing and is refused, a listing after a transfer sees another holder.
 */
export async function resellTicket(
  unitOfWork: UnitOfWork,
  ownerId: string,
  boughtTicketId: string,
  { price, resalePriceCap }: { price: number; resalePriceCap: number },
  now = new Date(),
): Promise<TicketView> {
  return unitOfWork
    .transaction(async (tx, events) => {
      const bought = await findTicketForUpdate(tx, boughtTicketId);
      if (!bought) throw new NotFoundError();
      const { pricePaid, pass } = ownedBy(bought, await lockPassNamedBy(tx, bought.id), ownerId);
      if (hasStarted(bought.startsAt, now)) throw new ConflictError(EVENT_STARTED_MESSAGE);
      if ((await findAdmission(tx, pass.ticketId)) !== undefined) throw new ConflictError(ALREADY_ADMITTED_MESSAGE);
      assertWithinResaleCap(price, pricePaid, resalePriceCap);
      const [resale] = await tx
        .insert(tickets)
        .values({
          id: randomUUID(),
          title: bought.title,
          price,
          userId: ownerId,
          // The same event: where and when it takes place, in its venue's zone, as its first seller gave them.
          venue: bought.venue,
          startsAt: bought.startsAt,
          startsAtOffset: bought.startsAtOffset,
          timeZone: bought.timeZone,
          resaleOf: bought.id,
          version: 0,
        })
        .returning();
      if (!resale) throw new Error('INSERT … RETURNING returned no row');
      await events.record('ticket.created', toTicketPayload(resale));
      return toTicketView(resale);
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error, ONE_RESALE_INDEX)) throw new ConflictError(ALREADY_RESOLD_MESSAGE);
      throw error;
    });
}

/**
 * The price paid for the ticket (cents), what the resale is capped by, and its pass; 403 unless the caller holds the pass that
 * came through it (not a buyer who handed it on, nor one whose pass a later resale took).
 */
function ownedBy(ticket: Ticket, pass: Pass | undefined, userId: string): { pricePaid: number; pass: Pass } {
  if (
    ticket.soldAt === null ||
    ticket.pricePaid === null ||
    pass === undefined ||
    pass.heldTicketId !== ticket.id ||
    pass.holderId !== userId
  ) {
    throw new ForbiddenError('You do not own this ticket');
  }
  return { pricePaid: ticket.pricePaid, pass };
}
