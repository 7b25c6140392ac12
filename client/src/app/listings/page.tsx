import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { TicketStateBadge } from '@/components/badges';
import { api } from '@/lib/api';
import { formatDate, formatPrice } from '@/lib/format';
import { ticketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { WithdrawButton } from './withdraw-button';

export const metadata: Metadata = { title: 'My listings' };

export default async function ListingsPage() {
  const result = await api<Ticket[]>('/api/tickets/mine');
  if (!result.ok) {
    if (result.status === 401) redirect('/auth/signin?next=%2Flistings');
    return <ApiProblem failure={result} title="Your listings are unavailable right now" retryHref="/listings" />;
  }
  const tickets = result.data ?? [];

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My listings</h1>
          <p className="lead">
            Every ticket you listed, whatever its state. You can edit a ticket while it is for sale.
          </p>
        </div>
        <Link href="/tickets/new" className="button button-primary">
          List a ticket
        </Link>
      </div>
      {tickets.length === 0 ? (
        <section className="panel empty-state">
          <h2>You have not listed any tickets</h2>
          <p>Tickets you list appear here with their state: for sale, reserved, sold or withdrawn.</p>
        </section>
      ) : (
        <ul className="item-list" aria-label="Your tickets">
          {tickets.map((ticket) => {
            const state = ticketState(ticket);
            const listed = state === 'for-sale';
            return (
              <li key={ticket.id} data-testid="ticket-card">
                <div>
                  <Link href={`/tickets/${ticket.id}`} className="item-title">
                    {ticket.title}
                  </Link>
                  <p className="meta" style={{ margin: 0 }}>
                    {formatPrice(ticket.price)} · listed{' '}
                    <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
                  </p>
                </div>
                <div className="item-actions">
                  <TicketStateBadge state={state} />
                  {listed && (
                    <>
                      <Link href={`/tickets/${ticket.id}/edit`}>
                        Edit<span className="visually-hidden"> {ticket.title}</span>
                      </Link>
                      <WithdrawButton ticketId={ticket.id} title={ticket.title} />
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
