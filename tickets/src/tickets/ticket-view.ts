import { decimalFromCents } from '@ticketing/common';
import type { Ticket } from '../db/schema';

/** A ticket as the API shows it: the price as a decimal (20.5), the time as ISO 8601. */
export interface TicketView {
  id: string;
  title: string;
  price: number;
  userId: string;
  orderId: string | null;
  /** Paid for: the ticket is gone for good (orderId is the order that bought it). */
  sold: boolean;
  version: number;
  createdAt: string;
}

/** What a seller writes: a trimmed title and the price in cents. */
export interface TicketInput {
  title: string;
  price: number;
}

export function toTicketView(ticket: Ticket): TicketView {
  return {
    id: ticket.id,
    title: ticket.title,
    price: decimalFromCents(ticket.price),
    userId: ticket.userId,
    orderId: ticket.orderId,
    sold: ticket.soldAt !== null,
    version: ticket.version,
    createdAt: ticket.createdAt.toISOString(),
  };
}
