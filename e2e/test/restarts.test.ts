import { waitFor } from '@ticketing/common/testing';

import {
  buyTicket,
  expectSettledConsistently,
  expectStatus,
  sellTicket,
  showOrder,
  showTicket,
  waitUntilPaymentsKnows,
  useTestStack,
} from './helpers';

// A service that was down catches up from its durable consumers: what was published meanwhile is applied
// once it is back. Long lock window, so nothing expires while a service is down.
const context = useTestStack({ env: { ORDER_EXPIRATION_SECONDS: '900' } });

describe('restarting one service in the middle of a flow', () => {
  it('when tickets is down while a ticket is bought, then the lock appears once tickets is back', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const ticket = await sellTicket(seller);
    // Orders knows the ticket (the seller's own attempt is refused as such) before tickets goes away.
    await waitFor(async () => expectStatus(await seller.post('/api/orders', { ticketId: ticket.id }), 403));

    await context.stack.stopService('tickets');
    try {
      // order.created is published while nobody in tickets listens.
      const order = await buyTicket(buyer, ticket);
      expectStatus(await seller.get(`/api/tickets/${ticket.id}`), 502);
      await context.stack.startService('tickets');

      await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));
      expect(order.ticket.id).toBe(ticket.id);
    } finally {
      await restartIfStopped('tickets');
    }
  });

  it('when orders is down while a ticket is listed, then orders knows the ticket once it is back, and it can be bought', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');

    await context.stack.stopService('orders');
    try {
      // ticket.created is published while nobody in orders listens.
      const ticket = await sellTicket(seller, 42);
      expectStatus(await buyer.post('/api/orders', { ticketId: ticket.id }), 502);
      await context.stack.startService('orders');

      const order = await buyTicket(buyer, ticket);
      expect(order.ticket).toMatchObject({ id: ticket.id, price: 42 });
      await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));
    } finally {
      await restartIfStopped('orders');
    }
  });

  it('when an order is cancelled while payments is down, then paying it after the restart is refused or refunded', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    const order = await buyTicket(buyer, await sellTicket(seller));
    await waitUntilPaymentsKnows(buyer, order);

    await context.stack.stopService('payments');
    try {
      // order.cancelled is published while nobody in payments listens.
      expectStatus(await buyer.delete(`/api/orders/${order.id}`), 204);
      await context.stack.startService('payments');

      // Paid at once: payments may not have applied the cancellation yet. Either it refuses (409), or it
      // charges and then refunds: never a kept charge on a cancelled order.
      const payment = await buyer.post('/api/payments', { orderId: order.id, paymentMethodId: 'pm_card_visa' });
      expect([201, 409]).toContain(payment.status);
      expect(await expectSettledConsistently(buyer, order)).toBe('cancelled');
      expect((await showOrder(buyer, order.id)).status).toBe('cancelled');
    } finally {
      await restartIfStopped('payments');
    }
  });
});

/** Leaves the stack whole for the next test even when an expectation failed while a service was down. */
async function restartIfStopped(name: 'tickets' | 'orders' | 'payments'): Promise<void> {
  const health = await fetch(`${context.stack.serviceUrl(name)}/readyz`).catch(() => undefined);
  if (health === undefined) await context.stack.startService(name);
}
