import type { Order, OrderStatus, Ticket } from '@ticketing/common/api';
import { hasEventStarted } from './event-start';

export type TicketState = 'for-sale' | 'reserved' | 'sold' | 'started' | 'withdrawn';

/**
 * The API's `status` with the clock: for sale = no order holds it (`available`) and its event has not begun;
 * reserved = an order holds it; sold = that order completed; started = its event has begun, so nobody can buy
 * or edit it any more (the API refuses both from that instant); withdrawn = its seller took it off sale, for good.
 */
export function ticketState(ticket: Pick<Ticket, 'status' | 'startsAt'>, now = Date.now()): TicketState {
  if (ticket.status === 'sold' || ticket.status === 'withdrawn') return ticket.status;
  if (hasEventStarted(ticket.startsAt, now)) return 'started';
  return ticket.status === 'reserved' ? 'reserved' : 'for-sale';
}

export const TICKET_STATE_LABEL: Record<TicketState, string> = {
  'for-sale': 'For sale',
  reserved: 'Reserved',
  sold: 'Sold',
  started: 'Event started',
  withdrawn: 'Withdrawn',
};

// Labels keep the API's status word (tests and support staff match on it), only capitalised.
export const ORDER_STATUS_LABEL: Record<OrderStatus, string> = {
  created: 'Created',
  cancelled: 'Cancelled',
  complete: 'Complete',
};

/** An order can still be paid while it is open and its reservation has not run out. */
export function isOrderOpen(order: Pick<Order, 'status'>): boolean {
  return order.status === 'created';
}
