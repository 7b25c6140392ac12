'use client';

import { useVisitor } from '@/components/visitor';
import { isKnownSeller } from '@/lib/purchase-offer';
import type { TicketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { TicketForm } from '../ticket-form';
import { editWarning } from '../edit-warning';

/**
 * The seller's edit form, shown once the browser knows the visitor is the seller (the page itself is the same
 * for everyone). Without JavaScript the browser never knows: "My listings" links to `/tickets/[id]/edit`, a
 * page of the seller's own, rendered on the server.
 */
export function SellerEdit({
  ticket,
  state,
}: {
  ticket: Pick<Ticket, 'id' | 'title' | 'price' | 'userId' | 'venue' | 'startsAt' | 'timeZone'>;
  state: TicketState;
}) {
  // Sold, or its event has begun: nothing is left to edit (the API refuses it with a 409).
  const shown =
    isKnownSeller(useVisitor(), ticket.userId) && state !== 'sold' && state !== 'started' && state !== 'withdrawn';
  if (!shown) return null;
  return (
    <section className="panel" id="edit" aria-labelledby="edit-heading" style={{ gridColumn: '1 / -1' }}>
      <h2 id="edit-heading">Edit your listing</h2>
      <TicketForm mode="edit" ticket={ticket} warning={editWarning(state)} />
    </section>
  );
}
