import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { Notice } from '@/components/alert';
import { ApiProblem } from '@/components/api-problem';
import { ForgetPassesNotHeld } from '@/components/forget-passes-not-held';
import { TicketStateBadge } from '@/components/badges';
import { PassQrCode } from '@/components/pass-qr-code';
import { PassWorker } from '@/components/pass-worker';
import { RefreshOnOwnedChanges } from '@/components/refresh-on-owned-changes';
import { api } from '@/lib/api';
import { formatEventStart, hasEventStarted } from '@/lib/event-start';
import { formatPrice } from '@/lib/format';
import { passQrDrawing } from '@/lib/pass-qr';
import {
  passApiPath,
  passCalendarPath,
  passPagePath,
  passPdfPath,
  type OwnedPassTicket,
  type Pass,
} from '@/lib/passes';
import { ticketState } from '@/lib/ticket-state';
import { SellAgainForm } from './sell-again-form';
import { TransferForm } from './transfer-form';

export const metadata: Metadata = { title: 'My tickets' };

/**
 * Passes drawn on this page; the rest link to their pass page. A holder has a few tickets, each pass one more
 * request (side by side) and a QR code of a few kilobytes: past this many the page would only grow slower.
 */
const PASSES_ON_PAGE = 20;
/** The most tickets `GET /api/tickets/owned` lists (the latest): a list this long may be cut short. */
const OWNED_LIST_LIMIT = 200;

type Props = { searchParams: Promise<{ transferred?: string | string[] }> };

/**
 * "My tickets": the tickets the visitor holds, each with its pass (the QR code to show at the door, as PDF and
 * in a calendar, on its own page that opens offline), Transfer, and its resale (or a form to sell it again).
 * Live: a pass issued to or taken from the visitor (a transfer either way, a resale bought) renders it again.
 */
export default async function MyTicketsPage({ searchParams }: Props) {
  const result = await api<OwnedPassTicket[]>('/api/tickets/owned');
  if (!result.ok) {
    if (result.status === 401) redirect('/auth/signin?next=%2Fmytickets');
    return <ApiProblem failure={result} title="Your tickets are unavailable right now" retryHref="/mytickets" />;
  }
  const owned = result.data ?? [];
  const passes = await Promise.all(
    owned.map((ticket, index) => (index < PASSES_ON_PAGE ? api<Pass>(passApiPath(ticket.id)) : undefined)),
  );
  const transferred = (await searchParams).transferred !== undefined;

  return (
    <>
      <PassWorker scope="/mytickets" />
      <ForgetPassesNotHeld heldIds={owned.map((ticket) => ticket.id)} complete={owned.length < OWNED_LIST_LIMIT} />
      <RefreshOnOwnedChanges shown={owned.map((ticket) => [ticket.ticketId, ticket.generation] as const)} />
      <div className="page-head">
        <div>
          <h1>My tickets</h1>
          <p className="lead">
            Tickets you hold, each with its pass to show at the door. You can give one to someone else, or sell it again
            for at most the price you paid.
          </p>
        </div>
      </div>
      {transferred && (
        <Notice tone="success">
          <p role="status">
            Ticket transferred. Your code for it no longer works; the new holder finds their pass in My tickets.
          </p>
        </Notice>
      )}
      {owned.length === 0 ? (
        <section className="panel empty-state">
          <h2>You hold no tickets</h2>
          <p>Tickets you pay for, or that someone transfers to you, appear here with their pass.</p>
        </section>
      ) : (
        <ul className="item-list" aria-label="Your tickets">
          {owned.map((ticket, index) => {
            const pass = passes[index];
            const started = hasEventStarted(ticket.startsAt);
            return (
              <li key={ticket.id} data-testid="owned-ticket" className="owned-ticket">
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
                  <div className="pass" data-testid="owned-pass">
                    {pass?.ok && (
                      <PassQrCode qr={passQrDrawing(pass.data.code)} label={`Pass code for ${ticket.title}`} />
                    )}
                    <div>
                      {pass && !pass.ok && (
                        <p className="hint" role="alert">
                          The pass cannot be shown right now: {pass.errors[0]?.message}
                        </p>
                      )}
                      <p className="meta" data-testid="pass-generation" data-generation={ticket.generation}>
                        Code generation {ticket.generation}
                        {ticket.generation > 1 && ': every older code of this ticket is void'}
                      </p>
                      {ticket.admittedAt && (
                        <p data-testid="pass-admitted">
                          Admitted at{' '}
                          <time dateTime={ticket.admittedAt}>
                            {formatEventStart(ticket.admittedAt, ticket.timeZone)}
                          </time>
                        </p>
                      )}
                      <ul className="pass-links">
                        <li>
                          {/* A document link: the worker serves it offline once it has been opened. */}
                          <a href={passPagePath(ticket.id)}>Open the pass</a>
                        </li>
                        <li>
                          <a href={passPdfPath(ticket.id)} download>
                            Download PDF
                          </a>
                        </li>
                        <li>
                          <a href={passCalendarPath(ticket.id)} download>
                            Add to calendar
                          </a>
                        </li>
                      </ul>
                    </div>
                  </div>
                </div>
                <div className="item-actions">
                  {ticket.resale ? (
                    <>
                      <Link href={`/tickets/${ticket.resale.id}`}>
                        Listed again at {formatPrice(ticket.resale.price)}
                      </Link>
                      <TicketStateBadge state={ticketState(ticket.resale)} />
                      {/* The API refuses a transfer while a resale listing is live (409). */}
                      <p className="hint">To transfer it, withdraw the listing in My listings first.</p>
                    </>
                  ) : ticket.admittedAt ? (
                    // Admitted: the API refuses both a transfer and a resale.
                    <span className="badge badge-complete">Admitted</span>
                  ) : started ? (
                    // The API refuses a resale and a transfer from the start on (409); the page does not offer them.
                    <TicketStateBadge state="started" />
                  ) : (
                    <>
                      <TransferForm ticketId={ticket.id} title={ticket.title} />
                      <SellAgainForm ticketId={ticket.id} title={ticket.title} maxPrice={ticket.maxResalePrice} />
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
