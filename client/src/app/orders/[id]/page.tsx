import type { Metadata } from 'next';
import { connection } from 'next/server';
import { notFound, redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { api } from '@/lib/api';
import { stripePublishableKey } from '@/lib/config';
import type { Charge, Order } from '@ticketing/common/api';
import { OrderPanel } from './order-panel';

export const metadata: Metadata = { title: 'Your order' };

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const orderResult = await api<Order>(`/api/orders/${encodeURIComponent(id)}`);
  if (!orderResult.ok) {
    if (orderResult.status === 401) redirect(`/auth/signin?next=${encodeURIComponent(`/orders/${id}`)}`);
    if (orderResult.status === 404) notFound();
    if (orderResult.status === 403) {
      return (
        <ApiProblem
          failure={{ ...orderResult, errors: [{ message: 'This order belongs to another account.' }] }}
          title="Not your order"
        />
      );
    }
    return (
      <ApiProblem failure={orderResult} title="This order cannot be shown right now" retryHref={`/orders/${id}`} />
    );
  }

  // The receipt survives a reload: the charges come from payments, whatever the order's status says yet.
  const chargesResult = await api<Charge[]>(`/api/payments?orderId=${encodeURIComponent(id)}`);
  await connection();

  return (
    <OrderPanel
      key={orderResult.data.id}
      order={orderResult.data}
      charges={chargesResult.ok && Array.isArray(chargesResult.data) ? chargesResult.data : []}
      chargesKnown={chargesResult.ok}
      stripePublishableKey={stripePublishableKey()}
      serverNow={Date.now()}
    />
  );
}
