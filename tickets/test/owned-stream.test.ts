import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import {
  createTestBus,
  createTestLogger,
  readEventStream,
  type EventStreamReader,
  type TestBus,
} from '@ticketing/common/testing';
import { startOwnedPassFeed, type LiveOwnedPasses } from '../src/passes/live-owned-passes';
import { buildTestApp, createTicket, createTicketsTestDatabase, signIn, type TicketsTestDatabase } from './helpers';
import { knownUser, ticketBoughtBy, transfer } from './pass-helpers';

/** The app listening on a port of its own: a stream is read as it arrives, which supertest cannot do. */
interface Served {
  app: Express;
  unitOfWork: ReturnType<typeof buildTestApp>['unitOfWork'];
  live: LiveOwnedPasses;
  url: (path: string) => string;
  close(): Promise<void>;
}

async function serve(built: ReturnType<typeof buildTestApp>): Promise<Served> {
  const server = http.createServer(built.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    app: built.app,
    unitOfWork: built.unitOfWork,
    live: built.liveOwnedPasses,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      built.liveOwnedPasses.close();
      built.liveTickets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const readers: EventStreamReader[] = [];
/** Opens the caller's stream like a browser's EventSource; closed after each test. */
async function openOwned(served: Served, cookie: string) {
  const reader = await readEventStream(served.url('/api/tickets/owned/stream'), { Cookie: cookie });
  readers.push(reader);
  return reader;
}
afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
});

/** The first `owned` event about `ticketId` (at `generation`, when given). */
const owned = (reader: EventStreamReader, ticketId: string, generation?: number) =>
  reader.nextEvent((event) => {
    if (event.name !== 'owned') return false;
    const change = JSON.parse(event.data) as { ticketId: string; generation: number };
    return change.ticketId === ticketId && (generation === undefined || change.generation === generation);
  });

let database: TicketsTestDatabase;
let bus: TestBus;
let feed: { stop(): void };
let live: Served;

beforeAll(async () => {
  database = await createTicketsTestDatabase();
  bus = await createTestBus();
  // The whole path: a sale or transfer records pass.issued, the relay publishes it, the feed hears it.
  const built = buildTestApp(database, { SSE_HEARTBEAT_SECONDS: '1' });
  built.unitOfWork.relay.start(bus);
  feed = startOwnedPassFeed(bus, built.liveOwnedPasses, createTestLogger());
  live = await serve(built);
});
afterAll(async () => {
  await live.close();
  feed.stop();
  await live.unitOfWork.relay.stop();
  await bus.destroy();
  await database.drop();
});

describe('GET /api/tickets/owned/stream', () => {
  it('when a user buys a ticket, then their stream says owned with the ticket and generation 1, and nobody else’s does', async () => {
    const buyer = signIn();
    const stranger = signIn();
    const stream = await openOwned(live, buyer.cookie);
    const strangers = await openOwned(live, stranger.cookie);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');

    const { ticket } = await ticketBoughtBy(live, buyer.user.id);
    const event = await owned(stream, ticket.id);
    expect(JSON.parse(event.data)).toEqual({ ticketId: ticket.id, generation: 1 });

    // The stranger's first event is their own purchase: the buyer's never reached them.
    const { ticket: theirs } = await ticketBoughtBy(live, stranger.user.id);
    await owned(strangers, theirs.id);
    expect(strangers.events.map((received) => JSON.parse(received.data).ticketId)).toEqual([theirs.id]);
  });

  it('when a holder transfers a ticket, then the giver’s and the recipient’s streams both say owned at the new generation', async () => {
    const giver = await knownUser(database);
    const recipient = await knownUser(database);
    const givers = await openOwned(live, giver.cookie);
    const recipients = await openOwned(live, recipient.cookie);
    const { ticket } = await ticketBoughtBy(live, giver.id);
    await owned(givers, ticket.id, 1);

    await transfer(live.app, giver.cookie, ticket.id, recipient.email).expect(200);
    for (const stream of [givers, recipients]) {
      const event = await owned(stream, ticket.id, 2);
      expect(JSON.parse(event.data)).toEqual({ ticketId: ticket.id, generation: 2 });
    }
    // The recipient heard only of the transfer, the giver of the sale and the transfer.
    expect(recipients.events.map((event) => JSON.parse(event.data).generation)).toEqual([2]);
    expect(givers.events.map((event) => JSON.parse(event.data).generation)).toEqual([1, 2]);
  });

  it('when a user has two tabs open, then both hear of it; an idle stream is sent heartbeats', async () => {
    const buyer = signIn();
    const tabs = await Promise.all([openOwned(live, buyer.cookie), openOwned(live, buyer.cookie)]);
    await tabs[0]!.nextComment(1);
    const { ticket } = await ticketBoughtBy(live, buyer.user.id);
    await Promise.all(tabs.map((tab) => owned(tab, ticket.id)));
  });

  it('when nobody is signed in, then it answers 401', async () => {
    await request(live.app).get('/api/tickets/owned/stream').expect(401);
  });
});

describe('bounds', () => {
  it('when the process holds its most streams, then the next is answered 503 with Retry-After, until one closes', async () => {
    const small = await serve(buildTestApp(database, { SSE_MAX_CLIENTS: '1' }));
    try {
      const first = await openOwned(small, signIn().cookie);
      expect(first.status).toBe(200);
      const refused = await request(small.app)
        .get('/api/tickets/owned/stream')
        .set('Cookie', signIn().cookie)
        .expect(503);
      expect(refused.headers['retry-after']).toBe('5');
      first.close();
      await first.ended;
      const second = await openOwned(small, signIn().cookie);
      expect(second.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('when a client address holds its share of the service’s streams (a ticket’s stream counts), then its My tickets stream is 429; when the process is full, 503', async () => {
    const shared = await serve(buildTestApp(database, { SSE_MAX_CLIENTS: '2', SSE_MAX_CLIENTS_PER_ADDRESS: '1' }));
    const from = (address: string) => ({ 'x-forwarded-for': address, accept: '*/*' });
    try {
      const ticket = await createTicket(shared.app);
      const watching = await readEventStream(shared.url(`/api/tickets/${ticket.id}/stream`), from('198.51.100.7'));
      readers.push(watching);
      expect(watching.status).toBe(200);
      const refused = await request(shared.app)
        .get('/api/tickets/owned/stream')
        .set('Cookie', signIn().cookie)
        .set(from('198.51.100.7'))
        .expect(429);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toEqual({
        errors: [{ message: 'Too many live updates are open from your address; close some or try again shortly' }],
      });

      const other = await readEventStream(shared.url('/api/tickets/owned/stream'), {
        Cookie: signIn().cookie,
        ...from('203.0.113.20'),
      });
      readers.push(other);
      expect(other.status).toBe(200);
      // Two streams open, one of each kind: the process is full for both kinds.
      await request(shared.app)
        .get('/api/tickets/owned/stream')
        .set('Cookie', signIn().cookie)
        .set(from('192.0.2.1'))
        .expect(503);
      await request(shared.app).get(`/api/tickets/${ticket.id}/stream`).set(from('192.0.2.1')).expect(503);
    } finally {
      await shared.close();
    }
  });

  it('when the service stops, then open streams end and new ones are refused 503', async () => {
    const stopping = await serve(buildTestApp(database));
    try {
      const stream = await openOwned(stopping, signIn().cookie);
      stopping.live.close();
      await stream.ended;
      await request(stopping.app).get('/api/tickets/owned/stream').set('Cookie', signIn().cookie).expect(503);
    } finally {
      await stopping.close();
    }
  });
});
