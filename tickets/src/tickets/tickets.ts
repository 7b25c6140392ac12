import { randomUUID } from 'node:crypto';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  decimalFromCents,
  type EventData,
  type Outbox,
  type Executor,
} from '@ticketing/common';
import type { Ticket as ApiTicket } from '@ticketing/common/api';
import { findTicketById, selectTicketsForSale, selectTicketsOfSeller, updateTicket } from '../db/tickets';
import { tickets, type Ticket } from '../db/schema';
import { decodeCursor, encodeCursor } from './cursor';

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
    version: ticket.version,
    createdAt: ticket.createdAt.toISOString(),
  };
}

/** A ticket as `ticket.created` / `ticket.updated` carry it: cents, and the lock's order id. */
export function toTicketPayload(ticket: Ticket): EventData<'ticket.updated'> {
  return {
    id: ticket.id,
    title: ticket.title,
    price: ticket.price,
    userId: ticket.userId,
    orderId: ticket.orderId,
    version: ticket.version,
  };
}

/**
 * Lists a ticket for sale and records `ticket.created` (version 0). A new ticket is known in full before
 * its row exists (its id made here, no order, version 0), so the row and its event are written in one
 * statement: one round trip, not four.
 */
export async function createTicket(outbox: Outbox, sellerId: string, input: TicketInput): Promise<TicketView> {
  const id = randomUUID();
  const created: EventData<'ticket.created'> = { id, ...input, userId: sellerId, orderId: null, version: 0 };
  const ticket = await outbox.insertWithEvents(tickets, { id, ...input, userId: sellerId, version: 0 }, [
    { subject: 'ticket.created', data: created },
  ]);
  return toTicketView(ticket);
}

export interface TicketsPage {
  tickets: TicketView[];
  /** The cursor of the next page; absent on the last one. */
  nextCursor?: string;
}

/** One page of the tickets for sale (not locked), newest first, after `cursor` (from a previous page). */
export async function listTicketsForSale(db: Executor, limit: number, cursor?: string): Promise<TicketsPage> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && !after) throw new BadRequestError('Cursor is not valid', 'cursor');
  // One row more than asked says whether a next page exists without a count.
  const rows = await selectTicketsForSale(db, { limit: limit + 1, after });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    tickets: page.map((row) => toTicketView(row.ticket)),
    nextCursor: rows.length > limit && last ? encodeCursor(last.position) : undefined,
  };
}

/** Most tickets "my listings" shows; a seller with more sees the newest. */
export const MY_LISTINGS_LIMIT = 200;

/** The seller's own tickets in every state, newest first. */
export async function listTicketsOfSeller(db: Executor, sellerId: string): Promise<TicketView[]> {
  return (await selectTicketsOfSeller(db, sellerId, MY_LISTINGS_LIMIT)).map(toTicketView);
}

/** Any ticket by id, locked or not; 404 when unknown. */
export async function showTicket(db: Executor, id: string): Promise<TicketView> {
  const ticket = await findTicketById(db, id);
  if (!ticket) throw new NotFoundError();
  return toTicketView(ticket);
}

/** A seller may change their own ticket, and only while no order holds it (the buyer pays what they saw). */
function assertTicketIsEditable(ticket: Ticket, editorId: string): void {
  if (ticket.userId !== editorId) throw new ForbiddenError('You do not own this ticket');
  if (ticket.orderId !== null) throw new ConflictError('Ticket is reserved and cannot be edited');
}

/**
 * Changes a ticket's title and price on top of the version read, and records `ticket.updated`. A lock
 * arriving between the read and the write bumps the version, so the write finds nothing and answers 409
 * instead of editing a reserved ticket.
 */
export async function editTicket(
  outbox: Outbox,
  editorId: string,
  ticketId: string,
  input: TicketInput,
): Promise<TicketView> {
  const ticket = await findTicketById(outbox.db, ticketId);
  if (!ticket) throw new NotFoundError();
  assertTicketIsEditable(ticket, editorId);
  return outbox.transaction(async (tx, events) => {
    const updated = await updateTicket(tx, ticket.id, ticket.version, input);
    if (!updated) throw new ConflictError('Ticket was changed at the same time; please try again');
    await events.record('ticket.updated', toTicketPayload(updated));
    return toTicketView(updated);
  });
}
