import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { ApiProblem } from '@/components/api-problem';
import { loadCurrentUser } from '@/lib/api';
import { TicketForm } from '../ticket-form';

export const metadata: Metadata = { title: 'Sell a ticket' };

export default async function NewTicketPage() {
  const session = await loadCurrentUser();
  if (!session.ok)
    return <ApiProblem failure={session} title="Selling is unavailable right now" retryHref="/tickets/new" />;
  if (!session.data?.currentUser) redirect('/auth/signin?next=%2Ftickets%2Fnew');
  return (
    <section className="panel medium" aria-labelledby="new-ticket-heading">
      <h1 id="new-ticket-heading">Sell a ticket</h1>
      <p className="lead">
        Buyers see your ticket as soon as it is listed. You can change it until someone reserves it.
      </p>
      <TicketForm mode="create" />
    </section>
  );
}
