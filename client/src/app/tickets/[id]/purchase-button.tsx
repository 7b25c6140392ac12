'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ErrorAlert } from '@/components/alert';
import { browserApi } from '@/lib/browser-api';
import type { Order } from '@ticketing/common/api';

/**
 * Reserves the ticket (POST /api/orders) and takes the buyer to the order, where the countdown starts. It sends
 * the version of the ticket the page shows, so the buyer pays the price they saw: when the seller changed the
 * ticket meanwhile, orders answers 409 ("The ticket changed; review the new price") and the page reloads its
 * data, so the new price and this message appear together and Purchase then reserves at the new version.
 */
export function PurchaseButton({ ticketId, ticketVersion }: { ticketId: string; ticketVersion: number }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);

  async function purchase() {
    if (pending) return;
    setPending(true);
    setErrors([]);
    const result = await browserApi<Order>('/api/orders', { method: 'POST', body: { ticketId, ticketVersion } });
    if (result.ok) {
      router.push(`/orders/${result.data.id}`);
      return;
    }
    setPending(false);
    if (result.status === 401) {
      router.push(`/auth/signin?next=${encodeURIComponent(`/tickets/${ticketId}`)}`);
      return;
    }
    // 429 (too many reservations, or too many attempts) and 503 keep the envelope's message here.
    setErrors(result.errors.map((error) => error.message));
    // The ticket changed or someone else reserved it first (409): refresh so the price and badge say so.
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
