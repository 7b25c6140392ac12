import { waitFor } from '@ticketing/common/testing';
import { expectStatus, ticketIdsForSale, useTestStack, waitForReply, type ErrorEnvelope, type Ticket } from './helpers';

// A start travels from tickets to orders on ticket.created; payments and expiration play no part.
const context = useTestStack({ services: ['auth', 'tickets', 'orders'] });

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

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(startsAt) - Date.now() + 100)));

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
});
