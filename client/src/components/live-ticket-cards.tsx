'use client';

import { ticketsStreamUrl } from '@/lib/live-views';
import type { Ticket } from '@ticketing/common/api';
import { useLiveViews } from '@/lib/use-live-view';
import { TicketCard } from './ticket-card';

/**
 * The landing page's cards as the server rendered them, kept live through one stream for all of them (a
 * browser opens only about six connections to a site, so not one per card): a ticket someone reserves or buys
 * says so on its card, a new price or title shows, without a reload.
 */
export function LiveTicketCards({ rendered, label }: { rendered: Ticket[]; label: string }) {
  const { views } = useLiveViews(rendered, ticketsStreamUrl(rendered.map((ticket) => ticket.id)), 'ticket');
  return (
    <ul className="ticket-grid" aria-label={label}>
      {views.map((ticket) => (
        <li key={ticket.id}>
          <TicketCard ticket={ticket} />
        </li>
      ))}
    </ul>
  );
}
