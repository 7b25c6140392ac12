'use server';

import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { formText, nextAttempt } from '@/lib/form-state';

/** What the waiting list's forms show after their server action answered. */
export interface WaitingListState {
  /** Where the last change left the visitor: in line at `position`, out of it, or nothing changed yet. */
  place: { position: number } | 'left' | null;
  errors: string[];
  attempt: number;
}

function ticketPath(ticketId: string): string {
  return `/tickets/${encodeURIComponent(ticketId)}`;
}

/**
 * Joins (POST /api/orders/waitlist) or leaves (DELETE /api/orders/waitlist/:ticketId) the ticket's waiting
 * list, as the form's `intent` says. A join sends the ticket version the page showed (`ticketVersion`), so the
 * place records the price the visitor saw and nothing else. A 409 on joining (the ticket was freed, sold,
 * repriced or handed to this visitor meanwhile) renders the page again, so its state and its price show beside
 * the message.
 */
export async function changeWaitingList(previous: WaitingListState, formData: FormData): Promise<WaitingListState> {
  const ticketId = formText(formData, 'ticketId');
  const attempt = nextAttempt(previous);
  if (formText(formData, 'intent') === 'leave') {
    const left = await api<void>(`/api/orders/waitlist/${encodeURIComponent(ticketId)}`, { method: 'DELETE' });
    if (left.ok) return { place: 'left', errors: [], attempt };
    if (left.status === 401) redirect(`/auth/signin?next=${encodeURIComponent(ticketPath(ticketId))}`);
    return { place: previous.place, errors: left.errors.map((error) => error.message), attempt };
  }
  const version = formText(formData, 'ticketVersion');
  const joined = await api<{ ticketId: string; position: number }>('/api/orders/waitlist', {
    method: 'POST',
    body: /^\d{1,9}$/.test(version) ? { ticketId, ticketVersion: Number(version) } : { ticketId },
  });
  if (joined.ok) return { place: { position: joined.data.position }, errors: [], attempt };
  if (joined.status === 401) redirect(`/auth/signin?next=${encodeURIComponent(ticketPath(ticketId))}`);
  if (joined.status === 409) refresh();
  return { place: previous.place, errors: joined.errors.map((error) => error.message), attempt };
}
