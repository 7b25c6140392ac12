'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { TicketStateBadge } from '@/components/badges';
import { formatEventStart } from '@/lib/event-start';
import { formatDate, formatPrice } from '@/lib/format';
import { TICKET_STATE_LABEL, ticketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { useLiveView } from '@/lib/use-live-view';
import { BuyArea, SellerName } from './buy-area';
import { SellerEdit } from './seller-edit';

/**
 * The ticket's page as the server rendered it, kept live by the ticket's stream: when someone reserves it,
 * buys it, or the seller changes it, every open page shows it within a second, without a reload, and
 * Purchase reserves the version on screen. A change is also said to screen readers.
 */
export function LiveTicket({ rendered }: { rendered: Ticket }) {
  const { view: ticket } = useLiveView(rendered, `/api/tickets/${encodeURIComponent(rendered.id)}/stream`, 'ticket');
  const state = ticketState(ticket);
  const announcement = useChangeAnnouncement(ticket);

  return (
    <div className="detail-grid">
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
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
            {ticket.startsAt && (
              <time dateTime={ticket.startsAt}>{formatEventStart(ticket.startsAt, ticket.timeZone)}</time>
            )}
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

/** What changed since the page was shown, in words: its state, or its price. Silent until something does. */
function useChangeAnnouncement(ticket: Ticket): string {
  const [announcement, setAnnouncement] = useState('');
  const previous = useRef(ticket);
  useEffect(() => {
    const before = previous.current;
    previous.current = ticket;
    if (before.version === ticket.version) return;
    const state = ticketState(ticket);
    if (ticketState(before) !== state) setAnnouncement(`This ticket is now: ${TICKET_STATE_LABEL[state]}.`);
    else if (before.price !== ticket.price) setAnnouncement(`The price changed to ${formatPrice(ticket.price)}.`);
  }, [ticket]);
  return announcement;
}
