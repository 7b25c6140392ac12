import { OrderStatus } from '@ticketing/common/events';
import { type Executor } from '@ticketing/common/database';
import { insertOrder, tryLockBuyer } from '../db/orders';
import type { Order, TicketReplica, WaitingListPlace } from '../db/schema';
import { deletePlaceById, lockNextPlaces } from '../db/waiting-list';
import { eventHasStarted } from './event-start';
import { holdsMaxReservations, reservationExpiry, type ReservationTerms } from './reservation-terms';

/** What releasing a ticket did to its waiting list. */
export interface HandOver {
  /** The reservation the first eligible waiter now holds; undefined when nobody in line could take it. */
  order: Order | undefined;
  /** Places removed because they could not be honoured (see {@link handOverTicket}). */
  placesDropped: number;
  /** Waiters left in line but passed over this time: at the cap, or placing an order of their own right now. */
  waitersPassedOver: number;
}

/** Places read (and locked) at a time while looking for the first eligible waiter. */
export const PLACES_PER_READ = 20;

/**
 * Hands a ticket that has just been released (its order cancelled or expired, in this transaction) to the
 * first eligible buyer in its waiting list: a new order with a fresh `expiresAt` and their place removed,
 * committed with the release or not at all (the caller records `order.cancelled` naming the new order, then
 * its `order.created`). So the ticket is never free while someone eligible waits for it, and no stampede of
 * buyers follows a release. Each reservation still passes the partial unique index like any other.
 *
 * Nobody is handed a withdrawn ticket, or the ticket of an event that has started (orders refuses to reserve
 * either).
 *
 * Going down the line, first in line first:
 * - the place of the buyer whose order was just released is dropped: they let the ticket go;
 * - a place taken at a lower price than the ticket's now is dropped: that buyer never accepted this price
 *   (the seller raised it while its lock was on its way to tickets), so they are passed over, never handed a
 *   reservation at it, and the next in line is served; they may join again at the new price. A place taken
 *   at this price or a higher one is honoured, at the ticket's price now: nobody pays more than they saw
 *   (docs/rules.md#rule-5);
 * - a waiter who already holds MAX_LIVE_ORDERS_PER_BUYER reservations is passed over and keeps their place;
 * - so is one whose buyer lock another transaction holds (they are placing an order, or being handed another
 *   ticket, right now): waiting for that lock could close a cycle (their own reservation of this very ticket
 *   waits on this transaction at the unique index), so it is only tried.
 *
 * `ticket` is the replica's row, which the caller locked (cancelOrderInOne) before it cancelled the order
 * (the lock order). Joins and other hand-overs of the ticket wait for that lock: a join either committed
 * before this reads the line, or reads the new holder after this commits. A place being left right now is
 * skipped, not waited for. `firstPlaces`, when given, is the line's first read, made under that lock with the
 * cancel (cancelOrderInOne): the next reads follow from its last place.
 */
export async function handOverTicket(
  tx: Executor,
  released: Order,
  ticket: TicketReplica,
  terms: ReservationTerms,
  firstPlaces?: readonly WaitingListPlace[],
): Promise<HandOver> {
  const handOver: HandOver = { order: undefined, placesDropped: 0, waitersPassedOver: 0 };
  // Nobody can use a reservation of an event that has begun, nor of a ticket its seller withdrew: the line
  // stays as it is, and nobody is handed it.
  if (ticket.withdrawn || eventHasStarted(ticket)) return handOver;

  for (let after = 0, read = firstPlaces; ; read = undefined) {
    const places = read ?? (await lockNextPlaces(tx, ticket.id, after, PLACES_PER_READ));
    for (const place of places) {
      after = place.id;
      if (place.userId === released.userId || ticket.price > place.price) {
        await deletePlaceById(tx, place.id);
        handOver.placesDropped += 1;
        continue;
      }
      if (
        !(await tryLockBuyer(tx, place.userId)) ||
        (await holdsMaxReservations(tx, place.userId, terms.maxLiveOrders))
      ) {
        handOver.waitersPassedOver += 1;
        continue;
      }
      // Cannot meet the unique index: this transaction released the ticket's only live order, and any other
      // reservation of the ticket waits at the index for this transaction to end.
      handOver.order = await insertOrder(tx, {
        userId: place.userId,
        ticketId: ticket.id,
        status: OrderStatus.Created,
        price: ticket.price,
        expiresAt: reservationExpiry(new Date(), terms.expiresInSeconds, ticket),
      });
      await deletePlaceById(tx, place.id);
      return handOver;
    }
    if (places.length < PLACES_PER_READ) return handOver;
  }
}
