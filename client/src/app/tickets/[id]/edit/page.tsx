import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { TicketStateBadge } from '@/components/badges';
import { loadCurrentUser, publicApi } from '@/lib/api';
import { ticketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { editWarning } from '../../edit-warning';
import { TicketForm } from '../../ticket-form';

export const metadata: Metadata = { title: 'Edit your listing' };

/**
 * The seller's edit form on a page of its own, decided on the server with the seller's cookie, so it works
 * without JavaScript ("My listings" links here). The ticket's public page offers the same form once the
 * browser knows the visitor is its seller.
 */
export default async function EditTicketPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const here = `/tickets/${encodeURIComponent(id)}/edit`;
  const session = await loadCurrentUser();
  if (!session.ok) return <ApiProblem failure={session} title="Editing is unavailable right now" retryHref={here} />;
  const user = session.data?.currentUser;
  if (!user) redirect(`/auth/signin?next=${encodeURIComponent(here)}`);

  // The ticket as everyone sees it, asked fresh of the edge: after a save this page shows what was saved.
  const result = await publicApi<Ticket>(`/api/tickets/${encodeURIComponent(id)}`);
  if (!result.ok) {
    if (result.status === 404) notFound();
    return <ApiProblem failure={result} title="This ticket cannot be shown right now" retryHref={here} />;
  }
  const ticket = result.data;
  if (ticket.userId !== user.id) {
    return (
      <ApiProblem
        failure={{ ok: false, status: 403, errors: [{ message: 'Only the seller can change this listing.' }] }}
        title="Not your listing"
      />
    );
  }

  const state = ticketState(ticket);
  return (
    <section className="panel medium" aria-labelledby="edit-heading">
      <p className="meta">
        <Link href={`/tickets/${ticket.id}`}>← View the ticket</Link>
      </p>
      <h1 id="edit-heading" style={{ overflowWrap: 'anywhere' }}>
        Edit your listing
      </h1>
      <p>
        <TicketStateBadge state={state} />
      </p>
      {state === 'sold' ? (
        <p className="lead">This ticket has been sold, so it can no longer be changed.</p>
      ) : state === 'started' ? (
        <p className="lead">This event has already started, so the ticket can no longer be changed.</p>
      ) : state === 'withdrawn' ? (
        <p className="lead">You withdrew this ticket, so it can no longer be changed.</p>
      ) : (
        <TicketForm mode="edit" ticket={ticket} warning={editWarning(state)} />
      )}
    </section>
  );
}
