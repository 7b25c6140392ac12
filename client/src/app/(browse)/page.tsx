import type { Metadata } from 'next';
import Link from 'next/link';
import { ApiProblem } from '@/components/api-problem';
import { LiveTicketCards } from '@/components/live-ticket-cards';
import { nextCursor, publicApi } from '@/lib/api';
import {
  SEARCH_FIELDS,
  isSearching,
  readTicketSearch,
  searchQuery,
  sortLabel,
  type SearchField,
  type TicketSearch,
} from '@/lib/ticket-search';
import type { Ticket } from '@ticketing/common/api';
import { SearchForm } from './search-form';

export const metadata: Metadata = { title: 'Tickets for sale' };

const PAGE_SIZE = 12;

// Rendered for every request the edge does not answer; never prerendered or kept by Next itself.
export const dynamic = 'force-dynamic';

type SearchParams = Record<string, string | string[] | undefined>;

/** A page of this search: its first page without a cursor. */
function pageHref(search: TicketSearch, cursor?: string): string {
  const query = searchQuery(search, { cursor });
  return query ? `/?${query}` : '/';
}

/**
 * The same HTML for everyone, so the edge can share it for a second (next.config.ts); a search is part of the
 * URL, so each search is its own shared page.
 */
export default async function HomePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const search = readTicketSearch(params);
  const cursorParam = Array.isArray(params.cursor) ? params.cursor[0] : params.cursor;
  const cursor = cursorParam || undefined;

  const result = await publicApi<Ticket[]>(`/api/tickets?${searchQuery(search, { limit: String(PAGE_SIZE), cursor })}`);
  if (!result.ok) {
    if (result.status === 400 && result.errors.some((error) => error.field === 'cursor') && cursor) {
      return (
        <section className="panel state-page">
          <h1>This page of tickets is no longer available</h1>
          <p className="lead">The link you followed is out of date.</p>
          <Link href={pageHref(search)} className="button button-primary">
            Back to first page
          </Link>
        </section>
      );
    }
    if (result.status === 400) {
      // The API names the box it refused: the message goes under it, with what was typed still there.
      const errors: Partial<Record<SearchField, string>> = {};
      for (const error of result.errors) {
        const field = SEARCH_FIELDS.find((name) => name === error.field);
        if (field) errors[field] = error.message;
      }
      return (
        <>
          <PageHead search={search} />
          <SearchForm search={search} errors={errors} />
          <section className="panel empty-state">
            <h2>Check your search</h2>
            <p>One of the boxes above holds a value that cannot be searched for.</p>
          </section>
        </>
      );
    }
    return (
      <ApiProblem failure={result} title="Tickets are unavailable right now" retryHref={pageHref(search, cursor)} />
    );
  }

  const tickets = result.data ?? [];
  const next = nextCursor(result.headers.get('link'));
  const searching = isSearching(search);

  return (
    <>
      <PageHead search={search} />
      <SearchForm search={search} />

      {tickets.length === 0 ? (
        <section className="panel empty-state">
          <h2>{cursor ? 'No more tickets' : searching ? 'No tickets match your search' : 'No tickets for sale yet'}</h2>
          <p>
            {cursor
              ? 'You have reached the end of the list.'
              : searching
                ? 'Try other words, a wider price range or other dates.'
                : 'Have a ticket you cannot use? List it here.'}
          </p>
          {cursor ? (
            <Link href={pageHref(search)} className="button button-secondary">
              Back to first page
            </Link>
          ) : searching ? (
            <a href="/" className="button button-secondary">
              Show every ticket
            </a>
          ) : (
            <Link href="/tickets/new" className="button button-primary">
              List a ticket
            </Link>
          )}
        </section>
      ) : (
        <LiveTicketCards rendered={tickets} label={searching ? 'Tickets matching your search' : 'Tickets for sale'} />
      )}

      {(cursor || next) && tickets.length > 0 && (
        <nav className="pager" aria-label="Pages">
          {cursor ? <Link href={pageHref(search)}>Back to first page</Link> : <span />}
          {next && (
            <Link href={pageHref(search, next)} className="button button-secondary" rel="next">
              Next page
            </Link>
          )}
        </nav>
      )}
    </>
  );
}

function PageHead({ search }: { search: TicketSearch }) {
  return (
    <div className="page-head">
      <div>
        <h1>Tickets for sale</h1>
        <p className="lead">{sortLabel(search)}. Purchasing a ticket reserves it for you while you pay.</p>
      </div>
    </div>
  );
}
