import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { ApiProblem } from '@/components/api-problem';
import { TicketStateBadge } from '@/components/badges';
import { api, getCurrentUser } from '@/lib/api';
import { formatDate, formatPrice } from '@/lib/format';
import { ticketState, type TicketState } from '@/lib/ticket-state';
import type { Ticket } from '@/lib/types';
import { TicketForm } from '../ticket-form';
import { PurchaseButton } from './purchase-button';

type Params = { params: Promise<{ id: string }> };

const loadTicket = cache((id: string) => api<Ticket>(`/api/tickets/${encodeURIComponent(id)}`));

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const result = await loadTicket((await params).id);
  return { title: result.ok ? result.data.title : 'Ticket' };
}

const UNAVAILABLE_REASON: Record<Exclude<TicketState, 'for-sale'>, string> = {
  reserved: 'Someone is buying this ticket right now. If they do not pay in time it goes back on sale.',
  sold: 'This ticket has been sold.',
};

export default async function TicketPage({ params }: Params) {
  const { id } = await params;
  const [result, currentUser] = await Promise.all([loadTicket(id), getCurrentUser()]);
  if (!result.ok) {
    if (result.status === 404) notFound();
    return <ApiProblem failure={result} title="This ticket cannot be shown right now" retryHref={`/tickets/${id}`} />;
  }

  const ticket = result.data;
  const state = ticketState(ticket);
  const isSeller = currentUser?.id === ticket.userId;

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
        <p className="price">{formatPrice(ticket.price)}</p>
        <dl className="facts">
          <dt>Listed</dt>
          <dd>
            <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
          </dd>
          <dt>Seller</dt>
          <dd>{isSeller ? 'You' : 'A Ticketing member'}</dd>
        </dl>
      </section>

      <section className="panel" aria-labelledby="buy-heading">
        <h2 id="buy-heading">Buy this ticket</h2>
        <BuyArea ticket={ticket} state={state} signedIn={Boolean(currentUser)} isSeller={isSeller} />
      </section>

      {isSeller && state !== 'sold' && (
        <section className="panel" id="edit" aria-labelledby="edit-heading" style={{ gridColumn: '1 / -1' }}>
          <h2 id="edit-heading">Edit your listing</h2>
          <TicketForm
            mode="edit"
            ticket={ticket}
            warning={
              state === 'for-sale'
                ? 'You can change the title and price while the ticket is for sale.'
                : 'A buyer is paying for this ticket right now, so changes are refused until the reservation ends.'
            }
          />
        </section>
      )}
    </div>
  );
}

function BuyArea({
  ticket,
  state,
  signedIn,
  isSeller,
}: {
  ticket: Ticket;
  state: TicketState;
  signedIn: boolean;
  isSeller: boolean;
}) {
  if (signedIn && !isSeller && state === 'for-sale') {
    return (
      <>
        <p className="lead">Purchasing reserves the ticket for you for a few minutes while you pay.</p>
        <PurchaseButton ticketId={ticket.id} ticketVersion={ticket.version} />
      </>
    );
  }
  // The button stays visible but disabled, with the reason read out alongside it.
  let reason: string;
  if (state !== 'for-sale') reason = UNAVAILABLE_REASON[state];
  else if (isSeller) reason = 'This is your listing, so you cannot buy it.';
  else reason = 'Sign in to buy this ticket.';
  return (
    <div className="form">
      <p id="purchase-reason" className="lead">
        {reason}
      </p>
      <button type="button" className="button button-primary" disabled aria-describedby="purchase-reason">
        Purchase
      </button>
      {!signedIn && state === 'for-sale' && (
        // Named unlike the header's "Sign in" link so each link's name stays unique on the page.
        <Link href={`/auth/signin?next=${encodeURIComponent(`/tickets/${ticket.id}`)}`}>Log in and come back here</Link>
      )}
    </div>
  );
}
