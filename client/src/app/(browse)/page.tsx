import type { Metadata } from 'next';
import Link from 'next/link';
import { ApiProblem } from '@/components/api-problem';
import { LiveTicketCards } from '@/components/live-ticket-cards';
import { nextCursor, publicApi } from '@/lib/api';
import type { Ticket } from '@ticketing/common/api';

export const metadata: Metadata = { title: 'Tickets for sale' };

const PAGE_SIZE = 12;

// Rendered for every request the edge does not answer; never prerendered or kept by Next itself.
export const dynamic = 'force-dynamic';

/** The same HTML for everyone, so the edge can share it for a second (next.config.ts). */
export default async function HomePage({ searchParams }: { searchParams: Promise<{ cursor?: string | string[] }> }) {
  const { cursor: cursorParam } = await searchParams;
  const cursor = typeof cursorParam === 'string' && cursorParam ? cursorParam : undefined;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);

  const result = await publicApi<Ticket[]>(`/api/tickets?${query}`);
  if (!result.ok) {
    if (result.status === 400 && cursor) {
      return (
        <section className="panel state-page">
          <h1>This page of tickets is no longer available</h1>
          <p className="lead">The link you followed is out of date.</p>
          <Link href="/" className="button button-primary">
            Back to first page
          </Link>
        </section>
      );
    }
    return (
      <ApiProblem
        failure={result}
        title="Tickets are unavailable right now"
        retryHref={cursor ? `/?cursor=${encodeURIComponent(cursor)}` : '/'}
      />
    );
  }

  const tickets = result.data ?? [];
  const next = nextCursor(result.headers.get('link'));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Tickets for sale</h1>
          <p className="lead">Newest first. Purchasing a ticket reserves it for you while you pay.</p>
        </div>
      </div>

      {tickets.length === 0 ? (
        <section className="panel empty-state">
          <h2>{cursor ? 'No more tickets' : 'No tickets for sale yet'}</h2>
          <p>{cursor ? 'You have reached the end of the list.' : 'Have a ticket you cannot use? List it here.'}</p>
          {cursor ? (
            <Link href="/" className="button button-secondary">
              Back to first page
            </Link>
          ) : (
            <Link href="/tickets/new" className="button button-primary">
              List a ticket
            </Link>
          )}
        </section>
      ) : (
        <LiveTicketCards rendered={tickets} />
      )}

      {(cursor || next) && tickets.length > 0 && (
        <nav className="pager" aria-label="Pages">
          {cursor ? <Link href="/">Back to first page</Link> : <span />}
          {next && (
            <Link href={`/?cursor=${encodeURIComponent(next)}`} className="button button-secondary" rel="next">
              Next page
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
