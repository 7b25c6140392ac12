import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { OrderStatusBadge } from '@/components/badges';
import { RefreshOnTicketChanges } from '@/components/refresh-on-ticket-changes';
import { api } from '@/lib/api';
import { formatDateTime, formatPrice } from '@/lib/format';
import { isOrderOpen } from '@/lib/ticket-state';
import type { Order, WaitingPlace } from '@ticketing/common/api';

export const metadata: Metadata = { title: 'My orders' };

export default async function OrdersPage() {
  const [result, places] = await Promise.all([
    api<Order[]>('/api/orders'),
    api<WaitingPlace[]>('/api/orders/waitlist'),
  ]);
  if (!result.ok) {
    if (result.status === 401) redirect('/auth/signin?next=%2Forders');
    return <ApiProblem failure={result} title="Your orders are unavailable right now" retryHref="/orders" />;
  }
  const orders = result.data ?? [];
  // A side list: when it cannot be read, the orders still show.
  const waiting = places.ok ? (places.data ?? []) : [];

  // The tickets whose changes change this page: an open order's (paid, cancelled, expired) and each waiting
  // list's (handed over to this buyer, or to someone else).
  const followed = [
    ...orders.filter((order) => isOrderOpen(order)).map((order) => order.ticket.id),
    ...waiting.map((place) => place.ticketId),
  ];

  return (
    <>
      <RefreshOnTicketChanges ticketIds={followed} />
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
      {waiting.length > 0 && (
        <section aria-labelledby="waiting-heading" style={{ marginTop: '2rem' }}>
          <h2 id="waiting-heading">Waiting lists</h2>
          <p className="lead">
            Reserved tickets you are queued for: when a reservation ends, the ticket is reserved for the first person in
            line and appears in your orders above, at the price you joined at or lower, never higher. If its seller
            raises the price, you are passed over and leave the line; you may join again at the new price.
          </p>
          <ul className="item-list" aria-label="Waiting lists">
            {waiting.map((place) => (
              <li key={place.ticketId}>
                <div>
                  <Link href={`/tickets/${place.ticketId}`} className="item-title">
                    {place.ticket.title}
                  </Link>
                  <p className="meta" style={{ margin: 0 }}>
                    {formatPrice(place.ticket.price)} · number {place.position} in line
                  </p>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
