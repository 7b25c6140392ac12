import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readEventStream, type EventStreamReader } from '@ticketing/common/testing';
import { UPSTREAM_MAX_SOCKETS, createGateway } from '../src/gateway';

/** A service with event streams under `/stream/…` (kept open, fed by `push`) and a plain JSON `/ping`. */
class StreamingService {
  readonly hits = new Map<string, number>();
  readonly open = new Set<http.ServerResponse>();
  readonly server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    if (path.startsWith('/stream/')) {
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
    const stream = await openStream('/stream/a');
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
    const streams = await Promise.all([openStream('/stream/b'), openStream('/stream/b')]);
    // Coalesced, the second would wait for the first's answer to end (never), or for the 5 s lock timeout.
    await waitUntil(() => service.open.size === 2, 1_000);
    service.push('{"both":true}');
    await Promise.all(streams.map((stream) => stream.nextEvent(undefined, { timeoutMs: 1_000 })));

    await openStream('/stream/b');
    await waitUntil(() => service.hitsOf('/stream/b') === 3, 1_000);
  });

  it('when a stream is asked for without Accept: text/event-stream, then requests for the same URL are still not held behind it', async () => {
    const plain = (path: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const request = http.get(`${origin}${path}`, resolve);
        request.on('error', () => undefined);
        openRequests.push({ close: () => request.destroy() });
        setTimeout(() => reject(new Error('no answer within 1 s')), 1_000).unref();
      });
    const answers = await Promise.all([plain('/stream/c'), plain('/stream/c')]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(service.hitsOf('/stream/c')).toBe(2);
  });

  it(`when more streams are open than the ${UPSTREAM_MAX_SOCKETS} sockets the gateway keeps to a service, then API requests still pass at once`, async () => {
    const count = UPSTREAM_MAX_SOCKETS + 20;
    for (let opened = 0; opened < count; opened += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - opened) }, (_, index) => openStream(`/stream/d${opened + index}`)),
      );
    }
    await waitUntil(() => service.open.size === count);

    const started = Date.now();
    const reply = await fetch(`${origin}/ping`);
    expect(reply.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
