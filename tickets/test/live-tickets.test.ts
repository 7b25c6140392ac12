import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { EventBus, startListeners, type RunningListeners } from '@ticketing/common/bus';
import { type EventData } from '@ticketing/common/events';
import { type LiveFeed } from '@ticketing/common/live';
import {
  TcpProxy,
  createTestBus,
  createTestLogger,
  natsUrl,
  readEventStream,
  refuseConnections,
  waitFor,
  type EventStreamReader,
  type TestBus,
} from '@ticketing/common/testing';
import { ticketsListeners } from '../src/events';
import { startTicketFeed, type LiveTickets } from '../src/tickets/live-tickets';
import type { TicketView } from '../src/tickets/ticket-view';
import {
  buildTestApp,
  createTicket,
  createTicketsTestDatabase,
  lockForOrder,
  showTicket,
  signIn,
  type TicketsTestDatabase,
} from './helpers';

/** The app listening on a port of its own: a stream is read as it arrives, which supertest cannot do. */
interface Served {
  app: Express;
  liveTickets: LiveTickets;
  url: (path: string) => string;
  close(): Promise<void>;
}

async function serve(app: Express, liveTickets: LiveTickets): Promise<Served> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    app,
    liveTickets,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      liveTickets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const readers: EventStreamReader[] = [];
/** Opens a stream like a browser's EventSource; closed after each test. */
async function open(served: Served, path: string, headers: http.OutgoingHttpHeaders = {}) {
  const reader = await readEventStream(served.url(path), headers);
  readers.push(reader);
  return reader;
}
afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
});

const ticketOf = (reader: EventStreamReader, index = 0): TicketView => JSON.parse(reader.events[index]!.data);

const orderCreated = (ticket: TicketView, orderId = randomUUID()): EventData<'order.created'> => ({
  id: orderId,
  userId: randomUUID(),
  status: 'created',
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  ticket: { id: ticket.id, price: Math.round(ticket.price * 100) },
  version: 0,
});

let database: TicketsTestDatabase;
let bus: TestBus;
let listeners: RunningListeners;
let feed: LiveFeed;
let live: Served;
let unitOfWork: ReturnType<typeof buildTestApp>['unitOfWork'];

beforeAll(async () => {
  database = await createTicketsTestDatabase();
  bus = await createTestBus();
  // The whole path of a change: listeners apply order events, the relay publishes ticket.updated on
  // JetStream, the feed hears it and the streams get the ticket.
  const built = buildTestApp(database, { SSE_HEARTBEAT_SECONDS: '1' });
  unitOfWork = built.unitOfWork;
  unitOfWork.relay.start(bus);
  listeners = await startListeners(bus, ticketsListeners(built.unitOfWork));
  feed = startTicketFeed(bus, built.liveTickets, createTestLogger());
  live = await serve(built.app, built.liveTickets);
});
afterAll(async () => {
  await live.close();
  feed.stop();
  await unitOfWork.relay.stop();
  await listeners.stop();
  await bus.destroy();
  await database.drop();
});

describe('GET /api/tickets/:id/stream', () => {
  it('when opened, then it is an unbuffered, uncached event stream that starts with the ticket as GET shows it', async () => {
    const ticket = await createTicket(live.app);
    const stream = await open(live, `/api/tickets/${ticket.id}/stream`);

    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    const snapshot = await stream.nextEvent();
    expect(snapshot).toMatchObject({ name: 'ticket', id: '0' });
    expect(JSON.parse(snapshot.data)).toEqual(await showTicket(live.app, ticket.id));
    // A reconnecting browser waits 2 to 4 s, spread so that a replica's streams do not all return at once.
    expect(stream.retryMs).toBeGreaterThanOrEqual(2_000);
    expect(stream.retryMs).toBeLessThan(4_000);
  });

  it('when the seller edits the ticket, then every open stream gets the new ticket through JetStream within a second', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(live.app, cookie, { title: 'Opera', price: 80 });
    const streams = await Promise.all(Array.from({ length: 5 }, () => open(live, `/api/tickets/${ticket.id}/stream`)));
    await Promise.all(streams.map((stream) => stream.nextEvent()));

    const editedAt = Date.now();
    await request(live.app)
      .put(`/api/tickets/${ticket.id}`)
      .set('Cookie', cookie)
      .send({ title: 'Opera', price: 65 })
      .expect(200);
    const updates = await Promise.all(streams.map((stream) => stream.nextEvent(undefined, { after: 1 })));

    const shown = await showTicket(live.app, ticket.id);
    for (const update of updates) {
      expect(update).toMatchObject({ name: 'ticket', id: '1' });
      expect(JSON.parse(update.data)).toEqual(shown);
      expect(update.receivedAt - editedAt).toBeLessThan(1_000);
    }
    expect(shown).toMatchObject({ price: 65, version: 1 });
  });

  it('when another user reserves the ticket, then its stream shows it reserved, and sold once the order completes', async () => {
    const ticket = await createTicket(live.app);
    const stream = await open(live, `/api/tickets/${ticket.id}/stream`);
    await stream.nextEvent();
    const orderId = randomUUID();

    await bus.publish('order.created', orderCreated(ticket, orderId));
    const reserved = await stream.nextEvent(undefined, { after: 1 });
    expect(JSON.parse(reserved.data)).toMatchObject({ id: ticket.id, status: 'reserved', sold: false, version: 1 });

    await bus.publish('order.completed', { id: orderId, ticket: { id: ticket.id }, version: 1 });
    const sold = await stream.nextEvent(undefined, { after: 2 });
    expect(JSON.parse(sold.data)).toMatchObject({ id: ticket.id, status: 'sold', sold: true, version: 2 });
    // Anyone may open the stream: it says reserved and sold, never whose order.
    for (const event of [reserved, sold]) expect(event.data).not.toContain(orderId);
  });

  it('when a browser reconnects with Last-Event-ID at the current version, then it is sent nothing it has, and later changes', async () => {
    const ticket = await createTicket(live.app);
    const orderId = await lockForOrder(unitOfWork, ticket.id);
    const current = await showTicket(live.app, ticket.id);
    expect(current.version).toBe(1);

    const upToDate = await open(live, `/api/tickets/${ticket.id}/stream`, { 'last-event-id': '1' });
    // Heartbeats come each second: two of them and still no event means the snapshot was skipped.
    await upToDate.nextComment(2, 5_000);
    expect(upToDate.events).toEqual([]);

    const behind = await open(live, `/api/tickets/${ticket.id}/stream`, { 'last-event-id': '0' });
    await behind.nextEvent();
    expect(behind.events.map((event) => event.id)).toEqual(['1']);
    expect(ticketOf(behind)).toEqual(current);

    await bus.publish('order.cancelled', { id: orderId, ticket: { id: ticket.id }, version: 1 });
    const released = await upToDate.nextEvent();
    expect(released.id).toBe('2');
    expect(JSON.parse(released.data)).toMatchObject({ status: 'available', version: 2 });
  });

  it.each([
    ['an unknown ticket', randomUUID()],
    ['a malformed id', 'not-a-uuid'],
  ])('when asked for %s, then it answers 404 with the envelope, not a stream', async (_case, id) => {
    const response = await request(live.app)
      .get(`/api/tickets/${id}/stream`)
      .set('Accept', 'text/event-stream')
      .expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(live.liveTickets.streamCount).toBe(0);
  });

  it('when idle, then it is sent heartbeat comments, and a closed stream is forgotten', async () => {
    const ticket = await createTicket(live.app);
    const stream = await open(live, `/api/tickets/${ticket.id}/stream`);
    await stream.nextComment(2, 5_000);
    expect(stream.comments.slice(0, 2)).toEqual(['keep-alive', 'keep-alive']);
    expect(live.liveTickets.watchedIds()).toContain(ticket.id);

    stream.close();
    await waitFor(() => expect(live.liveTickets.watchedIds()).not.toContain(ticket.id));
  });
});

describe('GET /api/tickets/stream?ids=', () => {
  it('when opened for several tickets, then each known ticket comes first as a snapshot, and a change to any of them follows', async () => {
    const [first, second] = [await createTicket(live.app), await createTicket(live.app)];
    const unknown = randomUUID();
    // Spelled in capitals and twice: the same ticket, watched once.
    const ids = [first!.id, second!.id.toUpperCase(), unknown, second!.id].join(',');
    const stream = await open(live, `/api/tickets/stream?ids=${ids}`);

    expect(stream.status).toBe(200);
    await stream.nextEvent(undefined, { after: 1 });
    const snapshots = stream.events.map((event) => JSON.parse(event.data) as TicketView);
    expect(snapshots.map((ticket) => ticket.id).sort()).toEqual([first!.id, second!.id].sort());
    // Several tickets have no one position to resume from: no ids, a reconnect gets fresh snapshots.
    expect(stream.events.map((event) => event.id)).toEqual([undefined, undefined]);

    await lockForOrder(unitOfWork, second!.id);
    const change = await stream.nextEvent(undefined, { after: 2 });
    expect(JSON.parse(change.data)).toEqual(await showTicket(live.app, second!.id));
  });

  it.each([
    ['no ids', ''],
    ['an empty list', '?ids='],
    ['an id that is not a UUID', `?ids=${randomUUID()},nope`],
    ['an empty entry', `?ids=${randomUUID()},`],
    ['more than 100 tickets', `?ids=${Array.from({ length: 101 }, () => randomUUID()).join(',')}`],
    ['the parameter twice', `?ids=${randomUUID()}&ids=${randomUUID()}`],
  ])('when given %s, then it answers 400 naming ids', async (_case, search) => {
    const response = await request(live.app).get(`/api/tickets/stream${search}`).expect(400);
    expect(response.body).toEqual({
      errors: [{ message: 'ids must be 1 to 100 ticket ids separated by commas', field: 'ids' }],
    });
  });
});

describe('bounds', () => {
  let small: Served;
  beforeAll(async () => {
    // Every stream here comes from 127.0.0.1: its share is the whole process, unless a test names others.
    const built = buildTestApp(database, {
      SSE_MAX_CLIENTS: '2',
      SSE_MAX_CLIENTS_PER_ADDRESS: '2',
      HTTP_MAX_IN_FLIGHT: '1',
    });
    small = await serve(built.app, built.liveTickets);
  });
  afterAll(() => small.close());

  it('when the process holds its most streams, then the next is answered 503 with Retry-After, until one closes', async () => {
    const ticket = await createTicket(small.app);
    const path = `/api/tickets/${ticket.id}/stream`;
    const [first] = [await open(small, path), await open(small, path)];

    const refused = await request(small.app).get(path).expect(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toEqual({
      errors: [{ message: 'Too many live updates are open here; please try again shortly' }],
    });

    first!.close();
    await waitFor(() => expect(small.liveTickets.streamCount).toBe(1));
    expect((await open(small, path)).status).toBe(200);
  });

  it('when streams are open, then they do not count as work in flight: other requests still run', async () => {
    const ticket = await createTicket(small.app);
    const stream = await open(small, `/api/tickets/${ticket.id}/stream`);
    await stream.nextEvent();
    // HTTP_MAX_IN_FLIGHT is 1: were the open stream counted, this would wait 2 s and be refused.
    const started = Date.now();
    await request(small.url('')).get(`/api/tickets/${ticket.id}`).expect(200);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('each address its share', () => {
  let shared: Served;
  beforeAll(async () => {
    const built = buildTestApp(database, { SSE_MAX_CLIENTS: '10', SSE_MAX_CLIENTS_PER_ADDRESS: '1' });
    shared = await serve(built.app, built.liveTickets);
  });
  afterAll(() => shared.close());

  it('when one client address holds its share of the streams, then its next is answered 429 with Retry-After; another address still gets one', async () => {
    const ticket = await createTicket(shared.app);
    const path = `/api/tickets/${ticket.id}/stream`;
    // As the edge names each client (one trusted hop): curl's Accept, as anyone may send.
    const from = (address: string) => ({ 'x-forwarded-for': address, accept: '*/*' });
    const first = await open(shared, path, from('198.51.100.7'));
    expect(first.status).toBe(200);

    const refused = await request(shared.app).get(path).set(from('198.51.100.7')).expect(429);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toEqual({
      errors: [{ message: 'Too many live updates are open from your address; close some or try again shortly' }],
    });
    // Another page of the same address, a stream of several tickets: the same share.
    await request(shared.app).get(`/api/tickets/stream?ids=${ticket.id}`).set(from('198.51.100.7')).expect(429);

    expect((await open(shared, path, from('203.0.113.20'))).status).toBe(200);
    first.close();
    await waitFor(() => expect(shared.liveTickets.streamCount).toBe(1));
    expect((await open(shared, path, from('198.51.100.7'))).status).toBe(200);
  });
});

describe('when the service stops', () => {
  it('then its streams end (browsers reconnect elsewhere) and new ones are refused', async () => {
    const built = buildTestApp(database);
    const stopping = await serve(built.app, built.liveTickets);
    const ticket = await createTicket(stopping.app);
    const stream = await open(stopping, `/api/tickets/${ticket.id}/stream`);
    await stream.nextEvent();

    built.liveTickets.close();
    await stream.ended;
    await request(stopping.app).get(`/api/tickets/${ticket.id}/stream`).expect(503);
    await stopping.close();
  });
});

describe('outages', () => {
  it('when NATS is unreachable for a while, then open streams stay open on heartbeats, and catch up once it is back', async () => {
    // This process reaches NATS through a proxy the test cuts; the relay (another replica, say) does not.
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(natsUrl()).port || 4222) });
    const proxied = await EventBus.connect({
      servers: proxy.url(),
      stream: bus.options.stream,
      subjectPrefix: bus.options.subjectPrefix,
      connectionName: 'tickets-live-through-proxy',
      logger: createTestLogger(),
      connectTimeoutMs: 5_000,
    });
    const built = buildTestApp(database, { SSE_HEARTBEAT_SECONDS: '1' });
    const proxiedFeed = startTicketFeed(proxied, built.liveTickets, createTestLogger());
    const cut = await serve(built.app, built.liveTickets);
    try {
      const ticket = await createTicket(cut.app);
      const stream = await open(cut, `/api/tickets/${ticket.id}/stream`);
      await stream.nextEvent();

      let ended = false;
      void stream.ended.then(() => (ended = true));
      await proxy.cut();
      const beats = stream.comments.length;
      // Reserved while this process hears nothing: its ticket.updated is published and missed here.
      const orderId = randomUUID();
      await bus.publish('order.created', orderCreated(ticket, orderId));
      await waitFor(async () => expect((await showTicket(cut.app, ticket.id)).version).toBe(1));
      await stream.nextComment(beats + 3, 10_000);
      expect(stream.events).toHaveLength(1);
      expect(ended).toBe(false);

      await proxy.restore();
      const caughtUp = await stream.nextEvent(undefined, { after: 1, timeoutMs: 15_000 });
      expect(JSON.parse(caughtUp.data)).toMatchObject({ id: ticket.id, version: 1 });

      // And the subscription itself is back: the next change arrives as it happens.
      const editedAt = Date.now();
      await bus.publish('order.completed', {
        id: orderId,
        ticket: { id: ticket.id },
        version: 1,
      });
      const sold = await stream.nextEvent(undefined, { after: 2 });
      expect(JSON.parse(sold.data)).toMatchObject({ sold: true, version: 2 });
      expect(sold.receivedAt - editedAt).toBeLessThan(1_000);
    } finally {
      proxiedFeed.stop();
      await cut.close();
      await proxied.close().catch(() => undefined);
      await proxy.close();
    }
  });

  it('when the database is unreachable, then a new stream is refused 503 with Retry-After before any event, and open ones stay open', async () => {
    const ticket = await createTicket(live.app);
    const open1 = await open(live, `/api/tickets/${ticket.id}/stream`);
    await open1.nextEvent();

    const restore = await refuseConnections(database.name);
    try {
      const refused = await request(live.app).get(`/api/tickets/${ticket.id}/stream`).expect(503);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.body.errors).toHaveLength(1);
      const beats = open1.comments.length;
      await open1.nextComment(beats + 1, 5_000);
    } finally {
      await restore();
    }
  });
});
