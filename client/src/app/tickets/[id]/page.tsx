import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { ApiProblem } from '@/components/api-problem';
import { publicApi } from '@/lib/api';
import type { Ticket } from '@ticketing/common/api';
import { LiveTicket } from './live-ticket';

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
 * looking (Purchase or why not, "You" as seller, the seller's edit form) is filled in by the browser, and the
 * ticket's stream keeps the page live from there (live-ticket.tsx).
 */
export default async function TicketPage({ params }: Params) {
  const { id } = await params;
  const result = await loadTicket(id);
  if (!result.ok) {
    if (result.status === 404) notFound();
    return <ApiProblem failure={result} title="This ticket cannot be shown right now" retryHref={`/tickets/${id}`} />;
  }

  return <LiveTicket rendered={result.data} />;
}
