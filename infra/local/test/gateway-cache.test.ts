import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { createGateway, type GatewayOptions } from '../src/gateway';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A service whose answers a test shapes: each path's headers, a version that changes the body, an optional
 * delay; it counts the requests that reach it, per path.
 */
class FakeService {
  readonly hits = new Map<string, number>();
  version = 1;
  delayMs = 0;
  headers: Record<string, string | string[]> = { 'cache-control': 'public, max-age=0, s-maxage=1' };
  status = 200;
  readonly server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    const body = JSON.stringify({
      path,
      version: this.version,
      cookie: req.headers.cookie ?? null,
      language: req.headers['accept-language'] ?? null,
    });
    setTimeout(() => {
      res.writeHead(this.status, { 'content-type': 'application/json', etag: `"v${this.version}"`, ...this.headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, this.delayMs);
  });

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }
}

let service: FakeService;
let gateway: http.Server;
let origin: string;

async function start(options: GatewayOptions = {}): Promise<void> {
  service = new FakeService();
  await listen(service.server);
  gateway = createGateway([{ prefix: '/', target: originOf(service.server) }], () => undefined, options);
  await listen(gateway);
  origin = originOf(gateway);
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

function originOf(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function send(path: string, options: { method?: string; headers?: http.OutgoingHttpHeaders } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(origin);
    http
      .request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      })
      .on('error', reject)
      .end();
  });
}

const versionOf = (reply: Reply) => (JSON.parse(reply.body) as { version: number }).version;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the gateway as a shared micro-cache', () => {
  beforeEach(() => start());
  afterEach(async () => {
    await Promise.all([close(gateway), close(service.server)]);
  });

  it('when a service says public, s-maxage=1, then the next GET of the same URL is served from memory without the service, with an Age header', async () => {
    const first = await send('/api/tickets?limit=12');
    const second = await send('/api/tickets?limit=12');

    expect(service.hitsOf('/api/tickets?limit=12')).toBe(1);
    expect(second.status).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers.age).toBe('0');
    expect(first.headers.age).toBeUndefined();
    expect(second.headers['cache-control']).toBe('public, max-age=0, s-maxage=1');
    expect(second.headers['content-type']).toBe('application/json');
    expect(second.headers['content-length']).toBe(String(Buffer.byteLength(first.body)));
  });

  it('when s-maxage has run out, then the next GET goes to the service again', async () => {
    await send('/api/tickets');
    await sleep(1_050);
    await send('/api/tickets');

    expect(service.hitsOf('/api/tickets')).toBe(2);
  });

  it('when the resource changes, then readers see the change within 1 s', async () => {
    await send('/api/tickets/1');
    service.version = 2;
    const changedAt = Date.now();
    let seenAt: number | undefined;
    while (seenAt === undefined && Date.now() - changedAt < 3_000) {
      if (versionOf(await send('/api/tickets/1')) === 2) seenAt = Date.now();
      else await sleep(20);
    }

    expect(seenAt).toBeDefined();
    // 1 s of freshness counted from when the first request left, plus a little scheduling slack.
    expect((seenAt as number) - changedAt).toBeLessThanOrEqual(1_100);
  });

  it.each([
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['no-store', { 'cache-control': 'no-store' }],
    ['no-cache', { 'cache-control': 'public, no-cache, s-maxage=1' }],
    ['no Cache-Control at all', {}],
    ['max-age but no s-maxage', { 'cache-control': 'public, max-age=60' }],
    ['a Set-Cookie', { 'cache-control': 'public, s-maxage=1', 'set-cookie': 'session=abc; Path=/' }],
    ['Vary: *', { 'cache-control': 'public, s-maxage=1', vary: '*' }],
  ])('when the answer has %s, then every GET reaches the service', async (_case, headers) => {
    service.headers = headers;

    await send('/api/users/currentuser');
    await send('/api/users/currentuser');

    expect(service.hitsOf('/api/users/currentuser')).toBe(2);
  });

  it('when the answer is not a 200, then it is not kept', async () => {
    service.status = 404;

    await send('/api/tickets/missing');
    await send('/api/tickets/missing');

    expect(service.hitsOf('/api/tickets/missing')).toBe(2);
  });

  it('when a request is not a GET or HEAD, then it always reaches the service and is never answered from memory', async () => {
    await send('/api/tickets');

    const posted = await send('/api/tickets', { method: 'POST' });

    expect(posted.headers.age).toBeUndefined();
    expect(service.hitsOf('/api/tickets')).toBe(2);
  });

  it('when a HEAD follows a kept GET, then it is answered from memory, headers only', async () => {
    const get = await send('/api/tickets');
    const head = await send('/api/tickets', { method: 'HEAD' });

    expect(service.hitsOf('/api/tickets')).toBe(1);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
  });

  it('when the answer says Vary: Accept-Language, then each language is kept apart', async () => {
    service.headers = { 'cache-control': 'public, s-maxage=1', vary: 'Accept-Language' };

    const english = await send('/page', { headers: { 'accept-language': 'en' } });
    const french = await send('/page', { headers: { 'accept-language': 'fr' } });
    const englishAgain = await send('/page', { headers: { 'accept-language': 'en' } });

    expect(JSON.parse(french.body)).toMatchObject({ language: 'fr' });
    expect(englishAgain.body).toBe(english.body);
    expect(englishAgain.headers.age).toBe('0');
    expect(service.hitsOf('/page')).toBe(2);
  });

  it('when the answer says Vary: Cookie, then one visitor is never served another visitor’s copy', async () => {
    service.headers = { 'cache-control': 'public, s-maxage=1', vary: 'Cookie' };

    await send('/page', { headers: { cookie: 'session=alice' } });
    const bob = await send('/page', { headers: { cookie: 'session=bob' } });

    expect(JSON.parse(bob.body)).toMatchObject({ cookie: 'session=bob' });
    expect(service.hitsOf('/page')).toBe(2);
  });

  it('keeps each Host apart', async () => {
    await send('/page', { headers: { host: 'one.test' } });
    await send('/page', { headers: { host: 'two.test' } });

    expect(service.hitsOf('/page')).toBe(2);
  });

  it('when twenty readers miss the same URL at once, then one request reaches the service and all twenty get its answer', async () => {
    service.delayMs = 200;

    const replies = await Promise.all(Array.from({ length: 20 }, () => send('/api/tickets?limit=12')));

    expect(service.hitsOf('/api/tickets?limit=12')).toBe(1);
    expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([200]));
    expect(new Set(replies.map((reply) => reply.body)).size).toBe(1);
    // Served from memory: only the one that went upstream has no Age.
    expect(replies.filter((reply) => reply.headers.age === undefined)).toHaveLength(1);
  });

  it('when readers of a private answer wait for each other, then each still gets their own answer', async () => {
    service.headers = { 'cache-control': 'private, no-store' };
    service.delayMs = 100;

    const replies = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((name) =>
        send('/api/users/currentuser', { headers: { cookie: `session=${name}` } }),
      ),
    );

    expect(replies.map((reply) => JSON.parse(reply.body).cookie)).toEqual([
      'session=alice',
      'session=bob',
      'session=carol',
      'session=dave',
    ]);
    expect(service.hitsOf('/api/users/currentuser')).toBe(4);
  });

  it('when the service answers slower than s-maxage, then those who waited still get its one answer, which is not kept', async () => {
    service.delayMs = 1_100;

    const replies = await Promise.all(Array.from({ length: 5 }, () => send('/api/tickets')));
    service.delayMs = 0;
    const next = await send('/api/tickets');

    expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([200]));
    // Waiters get the answer with its true age: older than a second, stale on arrival.
    expect(replies.filter((reply) => reply.headers.age === '1')).toHaveLength(4);
    expect(next.headers.age).toBeUndefined();
    expect(service.hitsOf('/api/tickets')).toBe(2);
  });

  it('when the service fails while others wait, then they all go to the service at once, not one after another', async () => {
    service.status = 503;
    service.delayMs = 300;

    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 5 }, () => send('/api/tickets')));
    const elapsed = Date.now() - started;

    expect(replies.map((reply) => reply.status)).toEqual(Array(5).fill(503));
    expect(service.hitsOf('/api/tickets')).toBe(5);
    // One wait for the first answer, then the rest side by side: far less than five in a row (1.5 s).
    expect(elapsed).toBeLessThan(1_000);
  });

  it('when a request says Cache-Control: no-cache, then it reaches the service, and its fresh answer is what the next readers get', async () => {
    await send('/api/tickets/1');
    service.version = 2;

    const fresh = await send('/api/tickets/1', { headers: { 'cache-control': 'no-cache' } });
    const next = await send('/api/tickets/1');

    expect(versionOf(fresh)).toBe(2);
    expect(versionOf(next)).toBe(2);
    expect(service.hitsOf('/api/tickets/1')).toBe(2);
  });

  it('when a plain reload says Cache-Control: max-age=0, then it is still answered from memory', async () => {
    await send('/api/tickets');
    await send('/api/tickets', { headers: { 'cache-control': 'max-age=0' } });

    expect(service.hitsOf('/api/tickets')).toBe(1);
  });

  it('when a reader revalidates a kept answer with its ETag, then it gets a 304 from memory', async () => {
    const first = await send('/api/tickets');

    const revalidated = await send('/api/tickets', { headers: { 'if-none-match': first.headers.etag as string } });

    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBe('');
    expect(revalidated.headers.etag).toBe(first.headers.etag);
    expect(service.hitsOf('/api/tickets')).toBe(1);
  });

  it('when a miss carries a validator, then the service is asked for the whole answer, which is kept for everyone', async () => {
    const reply = await send('/api/tickets', { headers: { 'if-none-match': '"v1"' } });
    await send('/api/tickets');

    expect(reply.status).toBe(200);
    expect(service.hitsOf('/api/tickets')).toBe(1);
  });
});

describe('the micro-cache’s memory bound', () => {
  afterEach(async () => {
    await Promise.all([close(gateway), close(service.server)]);
  });

  it('when more URLs are read than it may keep, then the oldest is dropped first', async () => {
    await start({ cache: { maxEntries: 2 } });

    for (const path of ['/a', '/b', '/c', '/c', '/b', '/a']) await send(path);

    expect([service.hitsOf('/a'), service.hitsOf('/b'), service.hitsOf('/c')]).toEqual([2, 1, 1]);
  });

  it('when an answer is larger than one entry may be, then it passes through intact and is not kept', async () => {
    await start({ cache: { maxEntryBytes: 32 } });

    const first = await send('/api/tickets');
    await send('/api/tickets');

    expect(JSON.parse(first.body)).toMatchObject({ path: '/api/tickets' });
    expect(service.hitsOf('/api/tickets')).toBe(2);
  });

  it('when the cache is turned off, then every GET reaches the service', async () => {
    await start({ cache: false });

    await send('/api/tickets');
    await send('/api/tickets');

    expect(service.hitsOf('/api/tickets')).toBe(2);
  });
});
