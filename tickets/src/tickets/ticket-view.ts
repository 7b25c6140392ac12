import { decimalFromCents } from '@ticketing/common';
import type { Ticket as ApiTicket } from '@ticketing/common/api';
import type { Ticket } from '../db/schema';

/** A ticket as the API shows it (docs/openapi.yaml): the price as a decimal (20.5), the time as ISO 8601. */
export type TicketView = ApiTicket;

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
    resaleOf: ticket.resaleOf,
    withdrawn: ticket.withdrawnAt !== null,
    version: ticket.version,
    createdAt: ticket.createdAt.toISOString(),
  };
}
