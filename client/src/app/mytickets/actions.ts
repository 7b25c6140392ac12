'use server';

import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { formText, nextAttempt, refusedFormState, type FormState } from '@/lib/form-state';
import type { TransferResponse } from '@/lib/passes';
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

export type TransferFormState = FormState<'email'> & {
  /** The email was given and the holder is asked to confirm (the code they hold stops working at once). */
  confirming: boolean;
};

/**
 * Transfer, in two posts that both work without JavaScript: `intent=review` asks the holder to confirm the
 * recipient's email (their own code stops working at once), `intent=confirm` gives the ticket
 * (POST /api/tickets/:id/transfer), `intent=change` goes back to the email. After a transfer the ticket is no
 * longer the visitor's, so the page it was on is rendered again without it, saying what happened.
 */
export async function transferTicket(previous: TransferFormState, formData: FormData): Promise<TransferFormState> {
  const ticketId = formText(formData, 'ticketId');
  const values = { email: formText(formData, 'email').trim() };
  const intent = formText(formData, 'intent');
  // The count of refused attempts stays as it was when nothing was refused (it moves the keyboard on a refusal).
  const unchanged = { values, fieldErrors: {}, formErrors: [], attempt: nextAttempt(previous) - 1 };
  if (intent === 'change') return { ...unchanged, confirming: false };
  if (intent !== 'confirm') {
    if (values.email === '') {
      const errors = [{ field: 'email', message: 'Enter the email of the person you give this ticket to' }];
      return { ...refusedFormState(previous, errors, ['email'], values), confirming: false };
    }
    return { ...unchanged, confirming: true };
  }

  const result = await api<TransferResponse>(`/api/tickets/${encodeURIComponent(ticketId)}/transfer`, {
    method: 'POST',
    body: values,
  });
  if (result.ok) redirect('/mytickets?transferred=1');
  if (result.status === 401) redirect('/auth/signin?next=%2Fmytickets');
  // Not the visitor's any more, started, listed for resale, admitted: the page shows the ticket as it is now.
  if (result.status === 409 || (result.status === 404 && !result.errors.some((error) => error.field === 'email'))) {
    refresh();
  }
  return { ...refusedFormState(previous, result.errors, ['email'], values), confirming: false };
}
