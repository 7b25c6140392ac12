import type { Order, OrderStatus, Ticket } from '@ticketing/common/api';

export type TicketState = 'for-sale' | 'reserved' | 'sold';

/** For sale = no order holds it; reserved = an order holds it; sold = that order completed. */
export function ticketState(ticket: Pick<Ticket, 'orderId' | 'sold'>): TicketState {
  if (ticket.sold) return 'sold';
  return ticket.orderId ? 'reserved' : 'for-sale';
}

export const TICKET_STATE_LABEL: Record<TicketState, string> = {
  'for-sale': 'For sale',
  reserved: 'Reserved',
  sold: 'Sold',
};

// Labels keep the API's status word (tests and support staff match on it), only capitalised.
export const ORDER_STATUS_LABEL: Record<OrderStatus, string> = {
  created: 'Created',
  'awaiting:payment': 'Awaiting payment',
  cancelled: 'Cancelled',
  complete: 'Complete',
};

/** An order can still be paid while it is open and its reservation has not run out. */
export function isOrderOpen(order: Pick<Order, 'status'>): boolean {
  return order.status === 'created' || order.status === 'awaiting:payment';
}
