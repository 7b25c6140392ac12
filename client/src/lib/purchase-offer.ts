import type { TicketState } from './ticket-state';
import type { User } from '@ticketing/common/api';

/** Who is looking, as the browser knows it: not asked yet (`known: false`), or a user, or nobody (null). */
export type Visitor = { known: false } | { known: true; user: User | null };

/** What the ticket page's buy area offers: Purchase, or a disabled Purchase with the reason read out. */
export type PurchaseOffer = { kind: 'purchase' } | { kind: 'refused'; reason: string; offerSignIn: boolean };

const UNAVAILABLE_REASON: Record<Exclude<TicketState, 'for-sale'>, string> = {
  reserved: 'Someone is buying this ticket right now. If they do not pay in time it goes back on sale.',
  sold: 'This ticket has been sold.',
  started: 'This event has already started, so the ticket is no longer for sale.',
  withdrawn: 'The seller withdrew this ticket, so it is no longer for sale.',
};

/**
 * A reserved, sold or withdrawn ticket, or one whose event has started, is refused to everyone. A ticket on sale is offered while the visitor is not known
 * yet (the page is the same for everyone, and the API's 401 sends a signed-out buyer to sign in), and to any
 * signed-in user but its seller; a signed-out visitor is asked to sign in.
 */
export function purchaseOffer(state: TicketState, sellerId: string, visitor: Visitor): PurchaseOffer {
  if (state !== 'for-sale') return { kind: 'refused', reason: UNAVAILABLE_REASON[state], offerSignIn: false };
  if (!visitor.known) return { kind: 'purchase' };
  if (visitor.user === null) return { kind: 'refused', reason: 'Sign in to buy this ticket.', offerSignIn: true };
  if (visitor.user.id === sellerId) {
    return { kind: 'refused', reason: 'This is your listing, so you cannot buy it.', offerSignIn: false };
  }
  return { kind: 'purchase' };
}

/** Whether the visitor is known to be the ticket's seller (the page then says "You" and shows the edit form). */
export function isKnownSeller(visitor: Visitor, sellerId: string): boolean {
  return visitor.known && visitor.user?.id === sellerId;
}
