import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startListeners, type RunningListeners } from '@ticketing/common/bus';
import { type LiveFeed } from '@ticketing/common/live';
import {
  createTestBus,
  createTestLogger,
  readEventStream,
  type EventStreamReader,
  type TestBus,
} from '@ticketing/common/testing';
import { ORDERS_RETIRED_DURABLES, ordersListeners } from '../src/events';
import { HeldTickets } from '../src/orders/held-tickets';
import { startOrderFeed } from '../src/orders/live-orders';
import type { OrderView } from '../src/orders/order-view';
import {
  buildTestApp,
  createOrdersTestDatabase,
  seedTicket,
  signIn,
  TEST_TERMS,
  type OrdersTestDatabase,
} from './helpers';

let database: OrdersTestDatabase;
let bus: TestBus;
let listeners: RunningListeners;
let feed: LiveFeed;
let built: ReturnType<typeof buildTestApp>;
let server: http.Server;
let base: string;

beforeAll(async () => {
  database = await createOrdersTestDatabase();
  bus = await createTestBus();
  // The whole path: the listeners complete or cancel orders, the relay publishes it on JetStream, the feed
  // hears it and the buyer's stream gets the order.
  built = buildTestApp(database);
  built.unitOfWork.relay.start(bus);
  listeners = await startListeners(bus, ordersListeners(built.unitOfWork, TEST_TERMS, built.memory), {
    retiredDurables: ORDERS_RETIRED_DURABLES,
  });
  feed = startOrderFeed(bus, built.liveOrders, createTestLogger());
  server = http.createServer(built.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  built.liveOrders.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  feed.stop();
  await built.unitOfWork.relay.stop();
  await listeners.stop();
  await bus.destroy();
  await database.drop();
});

const readers: EventStreamReader[] = [];
afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
});

/** The buyer's order page: a placed order, and its stream open with the buyer's cookie. */
async function watchNewOrder() {
  const buyer = signIn();
  const ticket = await seedTicket(database, { title: 'Ballet', price: 4500 });
  const placed = await request(built.app)
    .post('/api/orders')
    .set('Cookie', buyer.cookie)
    .send({ ticketId: ticket.id })
    .expect(201);
  const order = placed.body as OrderView;
  const stream = await readEventStream(`${base}/api/orders/${order.id}/stream`, { cookie: buyer.cookie });
  readers.push(stream);
  return { buyer, order, stream };
}

const orderOf = (event: { data: string }) => JSON.parse(event.data) as OrderView;

describe('GET /api/orders/:id/stream', () => {
  it('when the buyer opens it, then it is an event stream starting with the order as GET shows it', async () => {
    const { buyer, order, stream } = await watchNewOrder();
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');

    const snapshot = await stream.nextEvent();
    expect(snapshot).toMatchObject({ name: 'order', id: '0' });
    const shown = await request(built.app).get(`/api/orders/${order.id}`).set('Cookie', buyer.cookie).expect(200);
    expect(orderOf(snapshot)).toEqual(shown.body);
  });

  it('when the payment goes through, then the stream shows the order complete within a second', async () => {
    const { order, stream } = await watchNewOrder();
    await stream.nextEvent();

    const paidAt = Date.now();
    await bus.publish('charge.created', {
      id: randomUUID(),
      orderId: order.id,
      status: 'completed',
      amount: 4500,
      stripeId: `pi_${randomUUID()}`,
    });
    const complete = await stream.nextEvent(undefined, { after: 1 });
    expect(complete.id).toBe('1');
    expect(orderOf(complete)).toMatchObject({ id: order.id, status: 'complete', version: 1 });
    expect(complete.receivedAt - paidAt).toBeLessThan(1_000);
  });

  it('when the reservation expires, then the stream shows the order cancelled', async () => {
    const { order, stream } = await watchNewOrder();
    await stream.nextEvent();

    await bus.publish('order.expired', { orderId: order.id });
    const cancelled = await stream.nextEvent(undefined, { after: 1 });
    expect(orderOf(cancelled)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when the buyer cancels in another tab, then this one shows it', async () => {
    const { buyer, order, stream } = await watchNewOrder();
    await stream.nextEvent();

    await request(built.app).delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie).expect(204);
    expect(orderOf(await stream.nextEvent(undefined, { after: 1 }))).toMatchObject({ status: 'cancelled' });
  });

  it('when nobody is signed in, then it answers 401, and 404 for an unknown order, 403 for someone else’s', async () => {
    const { order } = await watchNewOrder();
    const signedOut = await request(built.app).get(`/api/orders/${order.id}/stream`).expect(401);
    expect(signedOut.body).toEqual({ errors: [{ message: 'Not signed in' }] });

    const stranger = signIn();
    const unknown = await request(built.app)
      .get(`/api/orders/${randomUUID()}/stream`)
      .set('Cookie', stranger.cookie)
      .expect(404);
    expect(unknown.body).toEqual({ errors: [{ message: 'Order not found' }] });
    await request(built.app).get('/api/orders/not-a-uuid/stream').set('Cookie', stranger.cookie).expect(404);

    const someoneElses = await request(built.app)
      .get(`/api/orders/${order.id}/stream`)
      .set('Cookie', stranger.cookie)
      .expect(403);
    expect(someoneElses.body).toEqual({ errors: [{ message: 'You do not own this order' }] });
    // Only the buyer's own stream is open.
    expect(built.liveOrders.streamCount).toBe(1);
  });
});

describe('the memory of held tickets, from the bus', () => {
  it('when another replica places an order, then this one refuses its ticket from memory; when it is cancelled there, then this one forgets it at once', async () => {
    // A second replica: its own memory, fed by its own subscription to the same events.
    const otherReplica = new HeldTickets(60_000);
    const otherFeed = startOrderFeed(bus, built.liveOrders, createTestLogger(), otherReplica);
    try {
      const buyer = signIn();
      const ticket = await seedTicket(database);
      const placed = await request(built.app)
        .post('/api/orders')
        .set('Cookie', buyer.cookie)
        .send({ ticketId: ticket.id })
        .expect(201);
      await waitFor(() => otherReplica.isHeld(ticket.id));

      await request(built.app).delete(`/api/orders/${placed.body.id}`).set('Cookie', buyer.cookie).expect(204);
      // Long before the memory's minute is up.
      await waitFor(() => !otherReplica.isHeld(ticket.id));
    } finally {
      otherFeed.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
