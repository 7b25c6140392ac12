import { decimalFromCents } from '@ticketing/common/money';
import type { Ticket as ApiTicket, TicketStatus } from '@ticketing/common/api';
import type { Ticket } from '../db/schema';
import { startOfRow, type EventStart } from './event-start';

/** A ticket as the API shows it (docs/openapi.yaml): the price as a decimal (20.5), the time as ISO 8601. */
export type TicketView = ApiTicket;

/**
 * What a seller writes: a trimmed title, the price in cents, and optionally the venue and the start. In an
 * edit, a venue or start left out (undefined) stays as it is, so a client that predates them changes neither;
 * null removes it.
 */
export interface TicketInput {
  title: string;
  price: number;
  venue?: string | null;
  startsAt?: EventStart | null;
  /** The venue's IANA zone, as the zone database spells it; the same undefined / null rule. */
  timeZone?: string | null;
}

/**
 * What anyone may know of who holds a ticket. Never the order's id: the views are public (and shared by the
 * edge), and an order id is its buyer's to show. The events on the bus keep it: the services need it.
 */
export function statusOf(ticket: Pick<Ticket, 'orderId' | 'soldAt' | 'withdrawnAt'>): TicketStatus {
  if (ticket.soldAt !== null) return 'sold';
  if (ticket.withdrawnAt !== null) return 'withdrawn';
  return ticket.orderId === null ? 'available' : 'reserved';
}

export function toTicketView(ticket: Ticket): TicketView {
  return {
    id: ticket.id,
    title: ticket.title,
    price: decimalFromCents(ticket.price),
    userId: ticket.userId,
    status: statusOf(ticket),
    sold: ticket.soldAt !== null,
    venue: ticket.venue,
    startsAt: startOfRow(ticket),
    timeZone: ticket.timeZone,
    resaleOf: ticket.resaleOf,
    withdrawn: ticket.withdrawnAt !== null,
    version: ticket.version,
    createdAt: ticket.createdAt.toISOString(),
  };
}
