import { waitFor } from '@ticketing/common/testing';

import {
  buyTicket,
  expectStatus,
  pay,
  sellTicket,
  showOrder,
  showTicket,
  ticketIdsForSale,
  type ErrorEnvelope,
  type Order,
  useTestStack,
} from './helpers';

// A 2 s lock window, and a sweep too slow to matter: an expiry here goes through the expiration service's
// Redis timer and order.expired, the normal path.
const context = useTestStack({
  env: { ORDER_EXPIRATION_SECONDS: '2', ORDER_SWEEP_INTERVAL_SECONDS: '60', ORDER_SWEEP_GRACE_SECONDS: '60' },
});

describe('selling, expiry and payment across every service, through the gateway', () => {
  it('when an unpaid order expires, then the ticket is for sale again; bought again and paid, it is sold for good', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const latecomer = await context.stack.signUp('latecomer');

    const ticket = await sellTicket(seller, 20);
    expect(ticket).toMatchObject({ title: 'Concert', price: 20, status: 'available', version: 0 });

    // Buying locks the ticket: orders decides, tickets mirrors it from order.created.
    const firstOrder = await buyTicket(buyer, ticket);
    expect(firstOrder).toMatchObject({ status: 'created', ticket: { id: ticket.id, price: 20 } });
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));
    await waitFor(async () => expect(await ticketIdsForSale(seller)).not.toContain(ticket.id));

    // Unpaid for 2 s: expiration's timer fires order.expired, orders cancels, tickets unlocks.
    await waitFor(async () => expect((await showOrder(buyer, firstOrder.id)).status).toBe('cancelled'), {
      timeoutMs: 30_000,
    });
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('available'));
    await waitFor(async () => expect(await ticketIdsForSale(seller)).toContain(ticket.id));

    // Bought again and paid in time.
    const secondOrder = await buyTicket(buyer, ticket);
    const payment = expectStatus(await pay(buyer, secondOrder), 201);
    expect(payment.body).toMatchObject({
      orderId: secondOrder.id,
      status: 'completed',
      amount: 2000,
      stripeRefundId: null,
    });
    expect(payment.body.stripeId).toMatch(/^pi_/);
    await waitFor(async () => expect((await showOrder(buyer, secondOrder.id)).status).toBe('complete'));

    // Sold: still locked by the paid order, off the list, and nobody can buy it any more.
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('sold'));
    await waitFor(async () => expect(await ticketIdsForSale(seller)).not.toContain(ticket.id));
    const again = expectStatus(await latecomer.post<ErrorEnvelope>('/api/orders', { ticketId: ticket.id }), 409);
    expect(again.body.errors).toHaveLength(1);
  });

  it('when the expiration service was down while an order was placed, then once back it still expires the order', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const ticket = await sellTicket(seller);

    await context.stack.stopService('expiration');
    let order: Order | undefined;
    try {
      // order.created waits in expiration's durable consumer until expiration is back.
      order = await buyTicket(buyer, ticket);
      await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));
    } finally {
      await context.stack.startService('expiration');
    }

    // The sweep is too slow to be what cancels it: the late timer fires as soon as it is scheduled.
    await waitFor(async () => expect((await showOrder(buyer, (order as Order).id)).status).toBe('cancelled'), {
      timeoutMs: 30_000,
    });
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('available'));
  });
});
