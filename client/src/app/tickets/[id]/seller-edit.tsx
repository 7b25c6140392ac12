'use client';

import { useEffect, useRef } from 'react';
import { useVisitor } from '@/components/visitor';
import { isKnownSeller } from '@/lib/purchase-offer';
import type { TicketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { TicketForm } from '../ticket-form';

/**
 * The seller's edit form, shown once the browser knows the visitor is the seller (the page itself is the same
 * for everyone). "My listings" links here as `#edit`: the browser could not scroll to a panel that was not
 * there yet when the page loaded, so the panel scrolls itself into view when it appears.
 */
export function SellerEdit({
  ticket,
  state,
}: {
  ticket: Pick<Ticket, 'id' | 'title' | 'price' | 'userId'>;
  state: TicketState;
}) {
  const panel = useRef<HTMLElement>(null);
  const shown = isKnownSeller(useVisitor(), ticket.userId) && state !== 'sold';

  useEffect(() => {
    if (shown && window.location.hash === '#edit') panel.current?.scrollIntoView();
  }, [shown]);

  if (!shown) return null;
  return (
    <section ref={panel} className="panel" id="edit" aria-labelledby="edit-heading" style={{ gridColumn: '1 / -1' }}>
      <h2 id="edit-heading">Edit your listing</h2>
      <TicketForm
        mode="edit"
        ticket={ticket}
        warning={
          state === 'for-sale'
            ? 'You can change the title and price while the ticket is for sale.'
            : 'A buyer is paying for this ticket right now, so changes are refused until the reservation ends.'
        }
      />
    </section>
  );
}
