import { formatEventStart } from '@/lib/event-start';
import { formatDate, formatPrice } from '@/lib/format';
import { ticketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { TicketStateBadge } from './badges';

/**
 * A ticket on the landing page. Its link is a plain document link on purpose: a flash sale's crowd goes from
 * the landing page to a ticket's page, and the document is what the edge shares (a client-side navigation
 * fetches an RSC payload, which Next renders for each visitor). It is not prefetched either, for the same reason.
 * A ticket that stopped being for sale while the page was open (live-ticket-cards.tsx) says so.
 */
export function TicketCard({ ticket }: { ticket: Ticket }) {
  const state = ticketState(ticket);
  return (
    <article className="ticket-card" data-testid="ticket-card" data-state={state}>
      <h2>
        <a href={`/tickets/${ticket.id}`}>{ticket.title}</a>
      </h2>
      <p className="price">{formatPrice(ticket.price)}</p>
      {state !== 'for-sale' && (
        <p>
          <TicketStateBadge state={state} />
        </p>
      )}
      {(ticket.startsAt || ticket.venue) && (
        <p className="event">
          {ticket.startsAt && (
            <time dateTime={ticket.startsAt}>{formatEventStart(ticket.startsAt, ticket.timeZone)}</time>
          )}
          {ticket.startsAt && ticket.venue && <br />}
          {ticket.venue}
        </p>
      )}
      <p className="meta">
        Listed <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
      </p>
    </article>
  );
}
