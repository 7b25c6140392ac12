import { waitFor } from '@ticketing/common/testing';

import { buyTicket, sellTicket, showOrder, showTicket, ticketIdsForSale, useTestStack } from './helpers';

// A 2 s lock window and a sweep every second with a 1 s grace: with the expiration service down, only the
// orders service's sweep (docs/rules.md#rule-7, the backstop for a lost Redis timer) can free the ticket.
const context = useTestStack({
  env: { ORDER_EXPIRATION_SECONDS: '2', ORDER_SWEEP_INTERVAL_SECONDS: '1', ORDER_SWEEP_GRACE_SECONDS: '1' },
});

describe('the sweep backstop', () => {
  it('when the expiration service is down, then the sweep cancels the overdue order and the ticket is for sale again', async () => {
    const seller = await context.stack.signUp('seller');
    const buyer = await context.stack.signUp('buyer');
    await context.stack.stopService('expiration');

    const ticket = await sellTicket(seller);
    const order = await buyTicket(buyer, ticket);
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'));

    await waitFor(async () => expect((await showOrder(buyer, order.id)).status).toBe('cancelled'), {
      timeoutMs: 30_000,
    });
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('available'));
    await waitFor(async () => expect(await ticketIdsForSale(seller)).toContain(ticket.id));
  });
});
