import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { OrderStatusBadge } from '@/components/badges';
import { api } from '@/lib/api';
import { formatDateTime, formatPrice } from '@/lib/format';
import { isOrderOpen } from '@/lib/ticket-state';
import type { Order } from '@ticketing/common/api';

export const metadata: Metadata = { title: 'My orders' };

export default async function OrdersPage() {
  const result = await api<Order[]>('/api/orders');
  if (!result.ok) {
    if (result.status === 401) redirect('/auth/signin?next=%2Forders');
    return <ApiProblem failure={result} title="Your orders are unavailable right now" retryHref="/orders" />;
  }
  const orders = result.data ?? [];

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My orders</h1>
          <p className="lead">Tickets you reserved or bought.</p>
        </div>
      </div>
      {orders.length === 0 ? (
        <section className="panel empty-state">
          <h2>No orders yet</h2>
          <p>When you purchase a ticket, its order appears here.</p>
          <Link href="/" className="button button-primary">
            Browse tickets
          </Link>
        </section>
      ) : (
        <ul className="item-list" aria-label="Orders">
          {orders.map((order) => (
            <li key={order.id}>
              <div>
                <Link href={`/orders/${order.id}`} className="item-title">
                  {order.ticket.title}
                </Link>
                <p className="meta" style={{ margin: 0 }}>
                  {formatPrice(order.ticket.price)} · ordered{' '}
                  <time dateTime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
                  {isOrderOpen(order) && (
                    <>
                      {' · pay by '}
                      <time dateTime={order.expiresAt}>{formatDateTime(order.expiresAt)}</time>
                    </>
                  )}
                </p>
              </div>
              <div className="item-actions">
                <OrderStatusBadge status={order.status} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
