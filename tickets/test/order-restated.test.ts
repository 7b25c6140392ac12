import { randomUUID } from 'node:crypto';
import { waitFor } from '@ticketing/common/testing';
import type { EventData, OrderStatus } from '@ticketing/common/events';
import type { TicketView } from '../src/tickets/ticket-view';
import { createTicket, useTicketListeners, useTicketsApp, handledBy, showTicketWithHolder } from './helpers';

const context = useTicketsApp();
const running = useTicketListeners(context);

const restated = (ticket: TicketView, orderId: string, status: OrderStatus, version: number) =>
  ({
    id: orderId,
    userId: randomUUID(),
    status,
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: ticket.id, price: Math.round(ticket.price * 100) },
    version,
  }) satisfies EventData<'order.restated'>;

const showTicket = (id: string) => showTicketWithHolder(context.app, context.database, id);

/** Resolves once the listener has committed the event, whatever its effect (nothing included). */
const handled = (durable: string, eventId: string) => handledBy(context.database, durable, eventId);

describe('order.restated → the ticket shows what orders decided (tickets-order-restated)', () => {
  it('when order.created never arrived, then the restated live order locks the ticket and takes it off sale', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    await running.bus.publish('order.restated', restated(ticket, orderId, 'created', 0));
    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId, sold: false }));
  });

  it('when order.cancelled never arrived, then the restated cancellation frees the ticket', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    await running.bus.publish('order.created', { ...restated(ticket, orderId, 'created', 0) });
    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId }));

    await running.bus.publish('order.restated', restated(ticket, orderId, 'cancelled', 1));
    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, sold: false }));
  });

  it('when neither the lock nor the sale arrived, then the restated complete order shows the ticket sold to it', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    await running.bus.publish('order.restated', restated(ticket, orderId, 'complete', 1));
    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId, sold: true }));
  });

  it('when a restatement of the live order arrives after its cancellation, then the ticket stays for sale', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    const cancelled = await running.bus.publish('order.cancelled', {
      id: orderId,
      ticket: { id: ticket.id },
      version: 1,
    });
    await handled('tickets-order-cancelled', cancelled.id);

    const stale = await running.bus.publish('order.restated', restated(ticket, orderId, 'created', 0));
    await handled('tickets-order-restated', stale.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, version: 0 });
  });

  it('when the ticket already shows the restated state, then nothing changes', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    await running.bus.publish('order.restated', restated(ticket, orderId, 'complete', 1));
    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ sold: true }));
    const before = await showTicket(ticket.id);

    const again = await running.bus.publish('order.restated', restated(ticket, orderId, 'complete', 1));
    await handled('tickets-order-restated', again.id);
    expect(await showTicket(ticket.id)).toEqual(before);
  });
});
