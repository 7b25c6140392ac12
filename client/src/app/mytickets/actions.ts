'use server';

import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { formText, refusedFormState, type FormState } from '@/lib/form-state';
import type { Ticket } from '@ticketing/common/api';

export type ResaleFormState = FormState<'price'> & {
  /** The last attempt listed the ticket again (the page is rendered again with its listing). */
  listed: boolean;
};

/**
 * Lists a bought ticket again (POST /api/tickets/:id/resale). The API is the judge of the cap: its 400 naming
 * `price` ("Price must be at most 20.50 for this ticket") appears under the field, with what was typed kept.
 */
export async function resellTicket(previous: ResaleFormState, formData: FormData): Promise<ResaleFormState> {
  const ticketId = formText(formData, 'ticketId');
  const values = { price: formText(formData, 'price').trim() };
  const result = await api<Ticket>(`/api/tickets/${encodeURIComponent(ticketId)}/resale`, {
    method: 'POST',
    body: values,
  });
  if (result.ok) {
    refresh();
    return { values: {}, fieldErrors: {}, formErrors: [], attempt: 0, listed: true };
  }
  if (result.status === 401) redirect('/auth/signin?next=%2Fmytickets');
  if (result.status === 409) refresh();
  return { ...refusedFormState(previous, result.errors, ['price'], values), listed: false };
}
