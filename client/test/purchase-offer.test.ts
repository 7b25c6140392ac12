import { ticketState } from '@/lib/ticket-state';
import { isKnownSeller, purchaseOffer, type Visitor } from '@/lib/purchase-offer';

const SELLER = { id: 'seller-id', email: 'seller@example.com' };
const BUYER = { id: 'buyer-id', email: 'buyer@example.com' };
const notKnownYet: Visitor = { known: false };
const signedOut: Visitor = { known: true, user: null };
const seller: Visitor = { known: true, user: SELLER };
const buyer: Visitor = { known: true, user: BUYER };

describe('what the ticket page offers, filled in by the browser', () => {
  it('when the browser does not know the visitor yet, then a ticket on sale offers Purchase (the page is the same for everyone)', () => {
    expect(purchaseOffer('for-sale', SELLER.id, notKnownYet)).toEqual({ kind: 'purchase' });
  });

  it('when a signed-in buyer looks, then Purchase is offered', () => {
    expect(purchaseOffer('for-sale', SELLER.id, buyer)).toEqual({ kind: 'purchase' });
  });

  it('when the seller looks, then Purchase is refused: it is their own listing', () => {
    expect(purchaseOffer('for-sale', SELLER.id, seller)).toEqual({
      kind: 'refused',
      reason: 'This is your listing, so you cannot buy it.',
      offerSignIn: false,
    });
  });

  it('when a signed-out visitor looks, then they are asked to sign in and come back', () => {
    expect(purchaseOffer('for-sale', SELLER.id, signedOut)).toEqual({
      kind: 'refused',
      reason: 'Sign in to buy this ticket.',
      offerSignIn: true,
    });
  });

  it.each([notKnownYet, signedOut, seller, buyer])(
    'when the ticket is reserved, sold or withdrawn, then everyone reads why it cannot be bought (%j)',
    (visitor) => {
      expect(purchaseOffer('reserved', SELLER.id, visitor)).toMatchObject({
        kind: 'refused',
        reason: expect.stringContaining('Someone is buying this ticket right now'),
      });
      expect(purchaseOffer('sold', SELLER.id, visitor)).toMatchObject({
        kind: 'refused',
        reason: 'This ticket has been sold.',
      });
      expect(purchaseOffer('withdrawn', SELLER.id, visitor)).toMatchObject({
        kind: 'refused',
        reason: 'The seller withdrew this ticket, so it is no longer for sale.',
      });
    },
  );

  it('when a ticket is withdrawn, then its state is withdrawn even if its event is still to come', () => {
    const ticket = { status: 'withdrawn', startsAt: '2099-01-01T20:00:00+01:00' } as const;
    expect(ticketState(ticket)).toBe('withdrawn');
    expect(ticketState({ ...ticket, status: 'available' })).toBe('for-sale');
    expect(ticketState({ ...ticket, status: 'reserved' })).toBe('reserved');
    expect(ticketState({ ...ticket, status: 'available', startsAt: '2001-01-01T20:00:00+01:00' })).toBe('started');
  });

  it('when the visitor is known to be the seller, and only then, the page says "You" and shows the edit form', () => {
    expect([notKnownYet, signedOut, seller, buyer].map((visitor) => isKnownSeller(visitor, SELLER.id))).toEqual([
      false,
      false,
      true,
      false,
    ]);
  });
});
