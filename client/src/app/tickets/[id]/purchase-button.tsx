'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ErrorAlert } from '@/components/alert';
import { browserApi } from '@/lib/browser-api';
import type { Order } from '@/lib/types';

/** Reserves the ticket (POST /api/orders) and takes the buyer to the order, where the countdown starts. */
export function PurchaseButton({ ticketId }: { ticketId: string }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);

  async function purchase() {
    if (pending) return;
    setPending(true);
    setErrors([]);
    const result = await browserApi<Order>('/api/orders', { method: 'POST', body: { ticketId } });
    if (result.ok) {
      router.push(`/orders/${result.data.id}`);
      return;
    }
    setPending(false);
    if (result.status === 401) {
      router.push(`/auth/signin?next=${encodeURIComponent(`/tickets/${ticketId}`)}`);
      return;
    }
    setErrors(result.errors.map((error) => error.message));
    // Someone else reserved it first (409): refresh so the badge says so.
    if (result.status === 409) router.refresh();
  }

  return (
    <div className="form">
      <ErrorAlert messages={errors} />
      <button type="button" className="button button-primary" onClick={purchase} disabled={pending}>
        {pending ? 'Reserving…' : 'Purchase'}
      </button>
    </div>
  );
}
