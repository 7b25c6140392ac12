'use client';

import Link from 'next/link';
import { useVisitor } from '@/components/visitor';
import { isKnownSeller, purchaseOffer } from '@/lib/purchase-offer';
import type { TicketState } from '@/lib/ticket-state';
import type { Ticket } from '@ticketing/common/api';
import { PurchaseButton } from './purchase-button';
import { WaitingList } from './waiting-list';

/** Purchase, or why not ({@link purchaseOffer}), once the browser knows who is looking. */
export function BuyArea({ ticket, state }: { ticket: Pick<Ticket, 'id' | 'version' | 'userId'>; state: TicketState }) {
  const offer = purchaseOffer(state, ticket.userId, useVisitor());
  if (offer.kind === 'purchase') {
    return (
      <>
        <p className="lead">Purchasing reserves the ticket for you for a few minutes while you pay.</p>
        <PurchaseButton ticketId={ticket.id} ticketVersion={ticket.version} />
      </>
    );
  }
  // The button stays visible but disabled, with the reason read out alongside it.
  const refusal = (
    <>
      <p id="purchase-reason" className="lead">
        {offer.reason}
      </p>
      <button type="button" className="button button-primary" disabled aria-describedby="purchase-reason">
        Purchase
      </button>
    </>
  );
  return (
    <div className="form">
      {state === 'reserved' ? (
        <WaitingList ticketId={ticket.id} ticketVersion={ticket.version} sellerId={ticket.userId}>
          {refusal}
        </WaitingList>
      ) : (
        refusal
      )}
      {offer.offerSignIn && (
        // Named unlike the header's "Sign in" link so each link's name stays unique on the page. Not prefetched:
        // the sign-in page is rendered for each visitor.
        <Link href={`/auth/signin?next=${encodeURIComponent(`/tickets/${ticket.id}`)}`} prefetch={false}>
          Log in and come back here
        </Link>
      )}
    </div>
  );
}

/** "You" to the seller, once the browser knows it is them. */
export function SellerName({ sellerId }: { sellerId: string }) {
  return <>{isKnownSeller(useVisitor(), sellerId) ? 'You' : 'A Ticketing member'}</>;
}
