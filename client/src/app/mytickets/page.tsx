import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { TicketStateBadge } from '@/components/badges';
import { api } from '@/lib/api';
import { formatEventStart, hasEventStarted } from '@/lib/event-start';
import { formatPrice } from '@/lib/format';
import { ticketState } from '@/lib/ticket-state';
import type { OwnedTicket } from '@ticketing/common/api';
import { SellAgainForm } from './sell-again-form';

export const metadata: Metadata = { title: 'My tickets' };

/** "My tickets": what the visitor bought, the price paid, and each one's resale (or a form to sell it again). */
export default async function MyTicketsPage() {
  const result = await api<OwnedTicket[]>('/api/tickets/owned');
  if (!result.ok) {
    if (result.status === 401) redirect('/auth/signin?next=%2Fmytickets');
    return <ApiProblem failure={result} title="Your tickets are unavailable right now" retryHref="/mytickets" />;
  }
  const owned = result.data ?? [];

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My tickets</h1>
          <p className="lead">Tickets you bought. You can sell one again for at most the price you paid.</p>
        </div>
      </div>
      {owned.length === 0 ? (
        <section className="panel empty-state">
          <h2>You have not bought any tickets</h2>
          <p>Tickets you pay for appear here, with what you paid.</p>
        </section>
      ) : (
        <ul className="item-list" aria-label="Your bought tickets">
          {owned.map((ticket) => (
            <li key={ticket.id} data-testid="owned-ticket">
              <div>
                <Link href={`/tickets/${ticket.id}`} className="item-title">
                  {ticket.title}
                </Link>
                <p className="meta" style={{ margin: 0 }}>
                  {ticket.startsAt && (
                    <>
                      <time dateTime={ticket.startsAt}>{formatEventStart(ticket.startsAt, ticket.timeZone)}</time>
                      {' · '}
                    </>
                  )}
                  {ticket.venue && `${ticket.venue} · `}
                  Paid {formatPrice(ticket.pricePaid)}
                </p>
              </div>
              <div className="item-actions">
                {ticket.resale ? (
                  <>
                    <Link href={`/tickets/${ticket.resale.id}`}>
                      Listed again at {formatPrice(ticket.resale.price)}
                    </Link>
                    <TicketStateBadge state={ticketState(ticket.resale)} />
                  </>
                ) : hasEventStarted(ticket.startsAt) ? (
                  // The API refuses a resale from the start on (409); the page does not offer one.
                  <TicketStateBadge state="started" />
                ) : (
                  <SellAgainForm ticketId={ticket.id} title={ticket.title} maxPrice={ticket.maxResalePrice} />
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
