'use server';

import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { formText, nextAttempt } from '@/lib/form-state';
import type { Charge } from '@ticketing/common/api';

/** What the last payment attempt came to, when it did not go through (a success goes to the order again). */
export interface PayState {
  /** The API's status for the refusal (402 declined, 409, 429, 503), or null before any attempt. */
  status: number | null;
  errors: string[];
  /** The test card last chosen, kept for the next attempt. */
  paymentMethodId?: string;
  attempt: number;
}

export interface CancelState {
  cancelled: boolean;
  errors: string[];
}

function orderPath(orderId: string): string {
  return `/orders/${encodeURIComponent(orderId)}`;
}

/**
 * Pays for the order with a PaymentMethod (one of Stripe's test methods, or the one Stripe Elements created in
 * the browser). Success goes to the order page again, where the receipt shows and a reload posts nothing twice.
 * A decline (402) or a refusal because the order is cancelled or paid already (409) renders the page again, so
 * the order's state shows beside the message.
 */
export async function payForOrder(previous: PayState, formData: FormData): Promise<PayState> {
  const orderId = formText(formData, 'orderId');
  const paymentMethodId = formText(formData, 'paymentMethodId');
  const result = await api<Charge>('/api/payments', { method: 'POST', body: { orderId, paymentMethodId } });
  if (result.ok) redirect(orderPath(orderId));
  if (result.status === 401) redirect(`/auth/signin?next=${encodeURIComponent(orderPath(orderId))}`);
  if (result.status === 402 || result.status === 409) refresh();
  return {
    status: result.status,
    errors: result.errors.map((error) => error.message),
    paymentMethodId,
    attempt: nextAttempt(previous),
  };
}

/** Cancels the order (DELETE /api/orders/:id), which releases the ticket; the page is rendered again. */
export async function cancelOrder(_previous: CancelState, formData: FormData): Promise<CancelState> {
  const orderId = formText(formData, 'orderId');
  const result = await api<void>(`/api/orders/${encodeURIComponent(orderId)}`, { method: 'DELETE' });
  if (result.status === 401) redirect(`/auth/signin?next=${encodeURIComponent(orderPath(orderId))}`);
  // Cancelled or refused (409: paid meanwhile), the order's status on the page must say what it is now.
  refresh();
  if (result.ok) return { cancelled: true, errors: [] };
  return { cancelled: false, errors: result.errors.map((error) => error.message) };
}
