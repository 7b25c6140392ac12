import { TooManyRequestsError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import type { OrdersConfig } from '../config';
import { countLiveOrdersOfBuyer } from '../db/orders';
import type { TicketReplica } from '../db/schema';
import { UNPAID } from './order-transitions';

/** What every reservation is placed under, whether a buyer asks for it or the waiting list hands it over. */
export interface ReservationTerms {
  /** How long the buyer holds the ticket (ORDER_EXPIRATION_SECONDS). */
  expiresInSeconds: number;
  /** Most unpaid orders one buyer may hold at once (MAX_LIVE_ORDERS_PER_BUYER). */
  maxLiveOrders: number;
}

export function reservationTermsOf(
  config: Pick<OrdersConfig, 'ORDER_EXPIRATION_SECONDS' | 'MAX_LIVE_ORDERS_PER_BUYER'>,
): ReservationTerms {
  return { expiresInSeconds: config.ORDER_EXPIRATION_SECONDS, maxLiveOrders: config.MAX_LIVE_ORDERS_PER_BUYER };
}

/**
 * When a reservation placed at `now` ends: `expiresInSeconds` later, or when the ticket's event starts if
 * that comes first. A reservation never outlives its event: the expiration job cancels it at the start, as
 * it would at the end of the window, so no order stays payable for an event that has begun (payments
 * refuses such a payment too, on its own clock).
 */
export function reservationExpiry(now: Date, expiresInSeconds: number, ticket: Pick<TicketReplica, 'startsAt'>): Date {
  const windowEnd = now.getTime() + expiresInSeconds * 1000;
  const start = ticket.startsAt?.getTime() ?? Number.POSITIVE_INFINITY;
  return new Date(Math.min(windowEnd, start));
}

/**
 * Whether the buyer already holds `maxLiveOrders` unpaid orders. Exact only while the transaction holds the
 * buyer's lock (`lockBuyer` or `tryLockBuyer`): one buyer's orders are then placed one at a time, on any
 * replica, so nothing can be placed between this count and the caller's insert.
 */
export async function holdsMaxReservations(tx: Executor, buyerId: string, maxLiveOrders: number): Promise<boolean> {
  return (await countLiveOrdersOfBuyer(tx, buyerId, UNPAID)) >= maxLiveOrders;
}

/** The 429 of a buyer at the cap. */
export function tooManyReservations(maxLiveOrders: number): TooManyRequestsError {
  return new TooManyRequestsError(`You already hold ${maxLiveOrders} reservation${maxLiveOrders === 1 ? '' : 's'}`);
}
