import { waitFor } from '@ticketing/common/testing';

import {
  buyTicket,
  expectSettledConsistently,
  expectStatus,
  listCharges,
  pay,
  sellTicket,
  showOrder,
  showTicket,
  ticketIdsForSale,
  waitForReply,
  waitUntilPaymentsKnows,
  type ErrorEnvelope,
  type Order,
  useTestStack,
} from './helpers';

// The default 15-minute lock window: whatever cancels an order here is the flow under test, never expiry.
const context = useTestStack({ env: { ORDER_EXPIRATION_SECONDS: '900' } });

describe('checkout across every service, through the gateway', () => {
  it('when the card is declined, then the buyer gets 402 with the reason, and the order is cancelled and the ticket freed', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const ticket = await sellTicket(seller, 35.5);
    const order = await buyTicket(buyer, ticket);
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));

    const declined = expectStatus(await pay(buyer, order, 'pm_card_chargeDeclined'), 402);

    expect(declined.body).toEqual({ errors: [{ message: 'Your card was declined.' }] });
    await waitFor(async () => expect((await showOrder(buyer, order.id)).status).toBe('cancelled'));
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('available'));
    await waitFor(async () => expect(await ticketIdsForSale(seller)).toContain(ticket.id));
    expect(await listCharges(buyer, order.id)).toEqual([
      expect.objectContaining({ orderId: order.id, status: 'failed', amount: 3550, stripeRefundId: null }),
    ]);
  });

  it('when the buyer cancels, then the order is cancelled at once and the ticket is freed for someone else', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const other = await context.stack.signUp('other');
    const ticket = await sellTicket(seller);
    const order = await buyTicket(buyer, ticket);
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));

    const cancelled = expectStatus(await buyer.delete(`/api/orders/${order.id}`), 204);

    expect(cancelled.text).toBe('');
    expect((await showOrder(buyer, order.id)).status).toBe('cancelled');
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('available'));
    await waitFor(async () => expect(await ticketIdsForSale(seller)).toContain(ticket.id));
    const next = await buyTicket(other, ticket);
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));
    // Whose reservation it is, only its buyer sees.
    expect(await showOrder(other, next.id)).toMatchObject({ status: 'created', ticket: { id: ticket.id } });
  });

  it('when twenty buyers race for one ticket, then exactly one order is created and the ticket holds it', async () => {
    const seller = await context.stack.signUp('seller');
    const buyers = await Promise.all(Array.from({ length: 20 }, () => context.stack.signUp('racer')));
    const ticket = await sellTicket(seller);
    // Orders knows the ticket once the seller's own attempt is refused as the seller's (403), not unknown (404).
    const own = await waitForReply(() => seller.post('/api/orders', { ticketId: ticket.id }), [404]);
    expectStatus(own, 403);

    const replies = await Promise.all(buyers.map((buyer) => buyer.post<Order>('/api/orders', { ticketId: ticket.id })));

    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    const winner = replies.find((reply) => reply.status === 201)?.body as Order;
    expect(winner).toMatchObject({ status: 'created', ticket: { id: ticket.id } });
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));
    for (const reply of replies.filter((candidate) => candidate.status === 409)) {
      expect((reply.body as unknown as ErrorEnvelope).errors).toHaveLength(1);
    }
  });

  it('when a payment and a cancellation cross, then the order ends cancelled with its charge refunded, or complete, never charged and cancelled', async () => {
    const seller = await context.stack.signUp('seller');
    // Several crossings at once: each one may land either way, and at least one lands in the refund case.
    const crossings = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const buyer = await context.stack.signUp('buyer');
        const order = await buyTicket(buyer, await sellTicket(seller));
        await waitUntilPaymentsKnows(buyer, order);
        // The payment leaves first; the cancel reaches orders long before the payment's charge.created does,
        // and payments long after it has checked the order: payments charges a cancelled order.
        const [payment, cancel] = await Promise.all([
          buyer.post('/api/payments', { orderId: order.id, paymentMethodId: 'pm_card_visa' }),
          buyer.delete(`/api/orders/${order.id}`),
        ]);
        expect([201, 409]).toContain(payment.status);
        expect([204, 409]).toContain(cancel.status);
        const outcome = await expectSettledConsistently(buyer, order);
        const charges = await listCharges(buyer, order.id);
        return { outcome, paid: payment.status === 201, refunded: charges.some((charge) => charge.stripeRefundId) };
      }),
    );

    expect(crossings.filter((crossing) => crossing.outcome === 'cancelled' && crossing.paid).length).toBeGreaterThan(0);
    for (const crossing of crossings) {
      if (crossing.outcome === 'cancelled' && crossing.paid) expect(crossing.refunded).toBe(true);
    }
  });
});
