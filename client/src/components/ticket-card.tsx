import Link from 'next/link';
import { formatDate, formatPrice } from '@/lib/format';
import type { Ticket } from '@/lib/types';

export function TicketCard({ ticket }: { ticket: Ticket }) {
  return (
    <article className="ticket-card" data-testid="ticket-card">
      <h2>
        <Link href={`/tickets/${ticket.id}`}>{ticket.title}</Link>
      </h2>
      <p className="price">{formatPrice(ticket.price)}</p>
      <p className="meta">
        Listed <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
      </p>
    </article>
  );
}
