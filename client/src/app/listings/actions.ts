'use server';

import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { formText, nextAttempt } from '@/lib/form-state';

/** Withdraw's state: the refusal's messages (409 once reserved…), counted so each one is announced. */
export interface WithdrawState {
  errors: string[];
  attempt: number;
}

/** Withdraws one's own listing (DELETE /api/tickets/:id); the page is rendered again showing it withdrawn. */
export async function withdrawTicket(previous: WithdrawState, formData: FormData): Promise<WithdrawState> {
  const ticketId = formText(formData, 'ticketId');
  const result = await api<unknown>(`/api/tickets/${encodeURIComponent(ticketId)}`, { method: 'DELETE' });
  if (result.ok) {
    refresh();
    return { errors: [], attempt: 0 };
  }
  if (result.status === 401) redirect('/auth/signin?next=%2Flistings');
  refresh();
  return { errors: result.errors.map((error) => error.message), attempt: nextAttempt(previous) };
}
