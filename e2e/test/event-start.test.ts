import { waitFor } from '@ticketing/common/testing';
import {
  buyTicket,
  expectStatus,
  listCharges,
  pay,
  showOrder,
  ticketIdsForSale,
  useTestStack,
  waitForReply,
  type ErrorEnvelope,
  type Ticket,
} from './helpers';

// A start travels from tickets to orders on ticket.created, and from orders to payments and expiration on
// order.created. The reservation window is the default 15 minutes: whatever ends a reservation here is its start.
const context = useTestStack({ env: { ORDER_EXPIRATION_SECONDS: '900' } });

/** Waits until the clock has passed `startsAt`: the start is what is under test, so the wait is the real one. */
async function untilAfter(startsAt: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(startsAt) - Date.now() + 100)));
}

/** How far ahead the event starts: long enough to see the ticket for sale and known to orders first. */
const LEAD_MS = 8_000;

describe('an event that starts while its ticket is for sale', () => {
  it('when the start passes, then the ticket leaves the list and its search, its seller cannot edit it, and orders refuses it (409)', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const startsAt = new Date(Date.now() + LEAD_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ticket = expectStatus(
      await seller.post<Ticket & { venue: string; startsAt: string }>('/api/tickets', {
        title: 'Late show',
        price: 35,
        venue: 'Olympia, Paris',
        startsAt,
      }),
      201,
    ).body;
    expect(ticket).toMatchObject({ venue: 'Olympia, Paris', startsAt });

    // Before the start: listed, found by a search through the gateway, and known to orders (its seller is
    // refused as the seller, not as unknown).
    await waitFor(async () => expect(await ticketIdsForSale(buyer)).toContain(ticket.id));
    const found = expectStatus(await buyer.get<Ticket[]>('/api/tickets?q=OLYMP&sort=date&maxPrice=35'), 200).body;
    expect(found.map((listed) => listed.id)).toContain(ticket.id);
    const known = await waitForReply(() => seller.post('/api/orders', { ticketId: ticket.id }), [404]);
    expect(known.status).toBe(403);

    await untilAfter(startsAt);

    const refused = await buyer.post<ErrorEnvelope>('/api/orders', { ticketId: ticket.id, ticketVersion: 0 });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ errors: [{ message: 'The event has already started' }] });
    const edit = await seller.request<ErrorEnvelope>('PUT', `/api/tickets/${ticket.id}`, { title: 'Later', price: 35 });
    expect(edit.status).toBe(409);
    expect(edit.body.errors[0]?.message).toBe('The event has already started; the ticket can no longer be edited');
    // The public list may come from the edge's cache for a second.
    await waitFor(async () => {
      expect(await ticketIdsForSale(buyer)).not.toContain(ticket.id);
      const searched = expectStatus(await buyer.get<Ticket[]>('/api/tickets?q=olympia'), 200).body;
      expect(searched.map((listed) => listed.id)).not.toContain(ticket.id);
    });
  });

  it('when a buyer reserves shortly before the start and pays after it, then nothing is charged and the reservation is cancelled at the start', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const startsAt = new Date(Date.now() + LEAD_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ticket = expectStatus(
      await seller.post<Ticket>('/api/tickets', { title: 'Encore', price: 42, venue: 'Zénith', startsAt }),
      201,
    ).body;

    // A reservation never outlives its event: it ends at the start, not 15 minutes from now.
    const order = await buyTicket(buyer, ticket);
    expect(Date.parse(order.expiresAt)).toBe(Date.parse(startsAt));

    await untilAfter(startsAt);
    const paid = await waitForReply(() => pay(buyer, order), [503]);

    // Payments refuses before Stripe: "The event has already started", or, once the cancellation at the start
    // has reached it, "Order was cancelled or has expired".
    expect(paid.status).toBe(409);
    expect(['The event has already started', 'Order was cancelled or has expired']).toContain(
      (paid.body as unknown as ErrorEnvelope).errors[0]?.message,
    );
    expect(await listCharges(buyer, order.id)).toEqual([]);
    await waitFor(async () => expect((await showOrder(buyer, order.id)).status).toBe('cancelled'));
  });
});
