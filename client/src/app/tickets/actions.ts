'use server';

import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { eventFieldsOf } from '@/lib/event-start';
import { formText, nextAttempt, refusedFormState, type FormState } from '@/lib/form-state';
import type { Order, Ticket } from '@ticketing/common/api';

/** The API's fields, and the input the start is typed in (`eventFieldsOf` makes it `startsAt`). */
export type TicketField = 'title' | 'price' | 'venue' | 'startsAt' | 'startsAtLocal' | 'timeZone';
export type TicketFormState = FormState<TicketField> & {
  /** The last attempt saved the changes (editing only: a new listing goes to its page instead). */
  saved: boolean;
};

/** Purchase's state: the refusal's messages (429, 409, 503…), counted so each one is announced. */
export interface ReserveState {
  errors: string[];
  attempt: number;
}

/** The fields the API names in its messages. */
const FIELDS: readonly TicketField[] = ['title', 'price', 'venue', 'startsAt', 'timeZone'];

/** The price stays the text typed: the API parses the decimal and is the one judge of the range. */
function ticketValues(formData: FormData): Partial<Record<TicketField, string>> {
  return {
    title: formText(formData, 'title').trim(),
    price: formText(formData, 'price').trim(),
    venue: formText(formData, 'venue'),
    startsAtLocal: formText(formData, 'startsAtLocal'),
    timeZone: formText(formData, 'timeZone'),
  };
}

/** What the API is sent: the title and price as typed, the venue, start and zone as `eventFieldsOf` reads them. */
function ticketBody(formData: FormData, values: Partial<Record<TicketField, string>>) {
  return { title: values.title, price: values.price, ...eventFieldsOf(formData) };
}

function signInThenReturnTo(path: string): never {
  redirect(`/auth/signin?next=${encodeURIComponent(path)}`);
}

/** Lists a ticket (POST /api/tickets) and goes to its page; the API's messages appear under their fields. */
export async function createTicket(previous: TicketFormState, formData: FormData): Promise<TicketFormState> {
  const values = ticketValues(formData);
  const result = await api<Ticket>('/api/tickets', { method: 'POST', body: ticketBody(formData, values) });
  if (result.ok) redirect(`/tickets/${encodeURIComponent(result.data.id)}`);
  if (result.status === 401) signInThenReturnTo('/tickets/new');
  return { ...refusedFormState(previous, result.errors, FIELDS, values), saved: false };
}

/**
 * Changes a listing (PUT /api/tickets/:id) and stays on the page, which is rendered again with the new title
 * and price. A 409 means a buyer reserved the ticket meanwhile: the page is rendered again then too, so its
 * state says so beside the refusal.
 */
export async function updateTicket(previous: TicketFormState, formData: FormData): Promise<TicketFormState> {
  const ticketId = formText(formData, 'ticketId');
  const values = ticketValues(formData);
  const result = await api<Ticket>(`/api/tickets/${encodeURIComponent(ticketId)}`, {
    method: 'PUT',
    body: ticketBody(formData, values),
  });
  if (result.ok) {
    refresh();
    return { values, fieldErrors: {}, formErrors: [], attempt: 0, saved: true };
  }
  if (result.status === 401) signInThenReturnTo(`/tickets/${ticketId}/edit`);
  if (result.status === 409) refresh();
  return { ...refusedFormState(previous, result.errors, FIELDS, values), saved: false };
}

/**
 * Reserves the ticket (POST /api/orders) at the version the page showed, so the buyer pays the price they saw,
 * and goes to the order, where the countdown runs. When the seller changed the ticket meanwhile orders answers
 * 409 ("The ticket changed; review the new price"), and the page is rendered again: the new price and the
 * message appear together, and Purchase then reserves at the new version.
 */
export async function reserveTicket(previous: ReserveState, formData: FormData): Promise<ReserveState> {
  const ticketId = formText(formData, 'ticketId');
  const version = formText(formData, 'ticketVersion');
  const body = /^\d{1,9}$/.test(version) ? { ticketId, ticketVersion: Number(version) } : { ticketId };
  const result = await api<Order>('/api/orders', { method: 'POST', body });
  if (result.ok) redirect(`/orders/${encodeURIComponent(result.data.id)}`);
  if (result.status === 401) signInThenReturnTo(`/tickets/${ticketId}`);
  if (result.status === 409) refresh();
  return { errors: result.errors.map((error) => error.message), attempt: nextAttempt(previous) };
}
