import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readEventStream, type EventStreamReader } from '@ticketing/common/testing';
import { UPSTREAM_MAX_SOCKETS, createGateway, isEventStreamPath } from '../src/gateway';
import { SERVICES } from '../src/services';

/** A ticket id, as the stream paths carry one. */
const id = (n: number | string) => `0b6f3c1e-8f5a-4c1e-9d2b-${String(n).padStart(12, '0')}`;

/**
 * A service with event streams at every path ending in `/stream` (kept open, fed by `push`, whatever the
 * request's `Accept`, as the services answer them) and plain JSON answers elsewhere.
 */
class StreamingService {
  readonly hits = new Map<string, number>();
  readonly open = new Set<http.ServerResponse>();
  readonly server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    if (/\/stream(\?|$)/.test(path)) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
      res.write('retry: 1000\n\n');
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end('{"pong":true}');
  });

  push(data: string): void {
    for (const res of this.open) res.write(`event: ticket\ndata: ${data}\n\n`);
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }
}

let service: StreamingService;
let gateway: http.Server;
let origin: string;
/** What each test leaves open: closed after it. */
const openRequests: { close(): void }[] = [];

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function openStream(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<EventStreamReader> {
  // With Accept: text/event-stream, as EventSource asks, unless `headers` says otherwise.
  const reader = await readEventStream(`${origin}${path}`, headers);
  openRequests.push(reader);
  return reader;
}

const waitUntil = async (condition: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

beforeEach(async () => {
  service = new StreamingService();
  const target = await listen(service.server);
  // The micro-cache on, as in `npm start`: streams must pass it by.
  gateway = createGateway([{ prefix: '/', target }], () => undefined);
  origin = await listen(gateway);
});
afterEach(async () => {
  for (const open of openRequests.splice(0)) open.close();
  await Promise.all([close(gateway), close(service.server)]);
});

describe('the gateway and event streams', () => {
  it('when a stream is open, then each event reaches the browser as the service sends it, even after a quiet spell', async () => {
    const stream = await openStream(`/api/tickets/${id('a')}/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await waitUntil(() => service.open.size === 1);

    const sentAt = Date.now();
    service.push('{"n":1}');
    const first = await stream.nextEvent();
    expect(first.receivedAt - sentAt).toBeLessThan(200);

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    service.push('{"n":2}');
    expect((await stream.nextEvent(undefined, { after: 1, timeoutMs: 1_000 })).data).toBe('{"n":2}');
  });

  it('when several browsers open the same stream at once, then each reaches the service: never coalesced, never cached', async () => {
    const streams = await Promise.all([
      openStream(`/api/tickets/${id('b')}/stream`),
      openStream(`/api/tickets/${id('b')}/stream`),
    ]);
    // Coalesced, the second would wait for the first's answer to end (never), or for the 5 s lock timeout.
    await waitUntil(() => service.open.size === 2, 1_000);
    service.push('{"both":true}');
    await Promise.all(streams.map((stream) => stream.nextEvent(undefined, { timeoutMs: 1_000 })));

    await openStream(`/api/tickets/${id('b')}/stream`);
    await waitUntil(() => service.hitsOf(`/api/tickets/${id('b')}/stream`) === 3, 1_000);
  });

  it('when a stream is asked for without Accept: text/event-stream, then requests for the same URL are still not held behind it', async () => {
    const path = `/api/tickets/${id('c')}/stream`;
    const streams = await Promise.all([openStream(path, { accept: '*/*' }), openStream(path, { accept: '*/*' })]);
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);
    expect(service.hitsOf(path)).toBe(2);
  });

  it(`when more streams are open than the ${UPSTREAM_MAX_SOCKETS} sockets the gateway keeps to a service, then API requests still pass`, async () => {
    const count = UPSTREAM_MAX_SOCKETS + 20;
    for (let opened = 0; opened < count; opened += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - opened) }, (_, index) =>
          openStream(`/api/tickets/${id(opened + index)}/stream`),
        ),
      );
    }
    await waitUntil(() => service.open.size === count);

    const reply = await fetch(`${origin}/api/tickets`);
    expect(reply.status).toBe(200);
    expect(service.open.size).toBe(count);
  });

  it("when 300 streams are opened with Accept: */* (curl's default), then GET /api/tickets still answers while they stay open", async () => {
    const count = 300;
    const paths = [
      (n: number) => `/api/tickets/${id(n)}/stream`,
      (n: number) => `/api/tickets/stream?ids=${id(n)}`,
      (n: number) => `/api/orders/${id(n)}/stream`,
    ];
    const streams = Array.from({ length: count }, (_, n) => openStream(paths[n % paths.length]!(n), { accept: '*/*' }));
    // Those still waiting when the test ends fail as it closes the gateway: reported by the assertions below.
    for (const stream of streams) stream.catch(() => undefined);
    // In the shared pool, only the first 256 would reach the service, the other streams waiting for a socket.
    await waitUntil(() => service.open.size >= UPSTREAM_MAX_SOCKETS, 10_000);

    // In the shared pool, this request would wait for one of the 300 to end: it reaches the service now.
    const reply = new Promise<http.IncomingMessage>((resolve, reject) => {
      const plain = http.get(`${origin}/api/tickets`, { headers: { accept: '*/*' }, agent: false }, resolve);
      plain.on('error', reject);
      openRequests.push({ close: () => plain.destroy() });
    });
    reply.catch(() => undefined);
    // A bound on the wait, not a speed goal: past it, the request is held behind the streams.
    await waitUntil(() => service.hitsOf('/api/tickets') === 1, 10_000);
    expect((await reply).statusCode).toBe(200);
    expect((await Promise.all(streams)).map((stream) => stream.status)).toEqual(Array(count).fill(200));
    expect(service.open.size).toBe(count);
  });
});

describe('what the gateway takes for a stream', () => {
  const sample = id(1);

  it('every stream route a service declares (services.ts), by its path alone', () => {
    const declared = SERVICES.flatMap((definition) => definition.streams ?? []);
    expect(declared.length).toBeGreaterThan(0);
    for (const route of declared) {
      const path = route.replace(':id', sample);
      expect([path, isEventStreamPath(path), isEventStreamPath(`${path}/`)]).toEqual([path, true, true]);
    }
  });

  it('any later `/stream` route under /api, and nothing else', () => {
    expect(isEventStreamPath(`/api/payments/${sample}/stream`)).toBe(true);
    for (const path of [
      '/api/tickets',
      `/api/tickets/${sample}`,
      `/api/tickets/${sample}/streamx`,
      `/api/tickets/${sample}/stream/more`,
      '/stream',
      `/tickets/${sample}/stream`,
      '/api/stream',
    ]) {
      expect([path, isEventStreamPath(path)]).toEqual([path, false]);
    }
  });
});
