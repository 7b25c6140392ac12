import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { ApiProblem } from '@/components/api-problem';
import { TicketStateBadge } from '@/components/badges';
import { publicApi } from '@/lib/api';
import { formatEventStart } from '@/lib/event-start';
import { formatDate, formatPrice } from '@/lib/format';
import { ticketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { BuyArea, SellerName } from './buy-area';
import { SellerEdit } from './seller-edit';

type Params = { params: Promise<{ id: string }> };

// Rendered for every request the edge does not answer; never prerendered or kept by Next itself.
export const dynamic = 'force-dynamic';

const loadTicket = cache((id: string) => publicApi<Ticket>(`/api/tickets/${encodeURIComponent(id)}`));

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const result = await loadTicket((await params).id);
  return { title: result.ok ? result.data.title : 'Ticket' };
}

/**
 * The same HTML for everyone, so the edge can share it for a second (next.config.ts): what depends on who is
 * looking (Purchase or why not, "You" as seller, the seller's edit form) is filled in by the browser.
 */
export default async function TicketPage({ params }: Params) {
  const { id } = await params;
  const result = await loadTicket(id);
  if (!result.ok) {
    if (result.status === 404) notFound();
    return <ApiProblem failure={result} title="This ticket cannot be shown right now" retryHref={`/tickets/${id}`} />;
  }

  const ticket = result.data;
  const state = ticketState(ticket);

  return (
    <div className="detail-grid">
      <section className="panel" aria-labelledby="ticket-heading">
        <p className="meta">
          <Link href="/">← All tickets</Link>
        </p>
        <h1 id="ticket-heading" style={{ overflowWrap: 'anywhere' }}>
          {ticket.title}
        </h1>
        <p>
          <TicketStateBadge state={state} />
        </p>
        {(ticket.startsAt || ticket.venue) && (
          <p className="event" data-testid="ticket-event">
            {ticket.startsAt && <time dateTime={ticket.startsAt}>{formatEventStart(ticket.startsAt)}</time>}
            {ticket.startsAt && ticket.venue && ' · '}
            {ticket.venue}
          </p>
        )}
        <p className="price">{formatPrice(ticket.price)}</p>
        <dl className="facts">
          <dt>Listed</dt>
          <dd>
            <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
          </dd>
          <dt>Seller</dt>
          <dd>
            <SellerName sellerId={ticket.userId} />
          </dd>
        </dl>
      </section>

      <section className="panel" aria-labelledby="buy-heading">
        <h2 id="buy-heading">Buy this ticket</h2>
        <BuyArea ticket={ticket} state={state} />
      </section>

      <SellerEdit ticket={ticket} state={state} />
    </div>
  );
}
