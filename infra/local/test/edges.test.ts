/**
 * The behaviours both local edges promise, run against each: the Node gateway (gateway.ts) and nginx on the
 * configuration rendered from the same routing table (nginx-edge.ts, nginx-config.ts), each a real server in
 * front of real upstream HTTP servers. The gateway's own files (gateway*.test.ts) go further into its details.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { readEventStream, type EventStreamReader } from '@ticketing/common/testing';

import { createGateway } from '../src/gateway';
import { ensureNginx, startNginxEdge } from '../src/nginx-edge';
import { compileIdempotentWrite } from '../src/routing';

type EdgeKind = 'node' | 'nginx';

interface EdgeOptions {
  cache?: boolean;
  idempotentWrites?: string[];
  readiness?: { intervalMs: number };
  upstreamNames?: Record<string, string>;
}

interface RunningEdge {
  origin: string;
  log: string[];
  close(): Promise<void>;
}

const nginxDirs: string[] = [];

async function startEdge(
  kind: EdgeKind,
  routes: { prefix: string; target: string | string[] }[],
  options: EdgeOptions = {},
): Promise<RunningEdge> {
  const log: string[] = [];
  if (kind === 'node') {
    const gateway = createGateway(routes, (line) => log.push(line), {
      cache: options.cache === false ? false : undefined,
      idempotentWrites: options.idempotentWrites,
      readiness: options.readiness,
      upstreamNames: options.upstreamNames,
    });
    const origin = await listen(gateway);
    return { origin, log, close: () => close(gateway) };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-test-nginx-'));
  nginxDirs.push(dir);
  const nginx = await startNginxEdge({
    dir,
    routes,
    port: 0,
    host: '127.0.0.1',
    log: (line) => log.push(line),
    cache: options.cache,
    idempotentWrites: (options.idempotentWrites ?? []).map(compileIdempotentWrite),
    readiness: options.readiness,
    upstreamNames: options.upstreamNames,
  });
  return { origin: `http://127.0.0.1:${nginx.port}`, log, close: () => nginx.stop() };
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function close(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(
  origin: string,
  requestPath: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(origin);
    const request = http.request(
      {
        hostname,
        port,
        path: requestPath,
        method: options.method ?? 'GET',
        headers: {
          ...(options.body !== undefined && { 'content-length': Buffer.byteLength(options.body) }),
          ...options.headers,
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A replica: answers with its name and what it received; `cacheControl` on its GETs; `/readyz` with `ready`;
 * while `dieOnRequest`, it destroys the connection after reading a request, as a process killed mid-request
 * would; a path ending in `/stream` is an event stream it keeps open (fed by `push`).
 */
class Replica {
  readonly received: string[] = [];
  readonly streams = new Set<http.ServerResponse>();
  ready = 200;
  dieOnRequest = false;
  cacheControl = 'no-store';
  version = 1;
  origin = '';
  readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/readyz') {
        res.writeHead(this.ready);
        res.end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      this.received.push(`${req.method ?? ''} ${req.url ?? ''} ${body}`.trim());
      if (this.dieOnRequest) {
        req.socket.destroy();
        return;
      }
      if (/\/stream(\?|$)/.test(req.url ?? '')) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
        res.write('retry: 1000\n\n');
        this.streams.add(res);
        res.on('close', () => this.streams.delete(res));
        return;
      }
      // A session's answer sets cookies (and so is never kept by a shared cache); the rest set none.
      if (req.url?.startsWith('/api/users')) {
        res.setHeader('set-cookie', ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': this.cacheControl });
      res.end(
        JSON.stringify({
          name: this.name,
          version: this.version,
          method: req.method,
          url: req.url,
          headers: req.headers,
          body,
        }),
      );
    });
  });

  constructor(readonly name: string) {}

  async start(): Promise<this> {
    this.origin = await listen(this.server);
    return this;
  }

  push(data: string): void {
    for (const res of this.streams) res.write(`event: ticket\ndata: ${data}\n\n`);
  }

  count(prefix: string): number {
    return this.received.filter((line) => line.startsWith(prefix)).length;
  }
}

const upstreamServers: http.Server[] = [];
const edges: RunningEdge[] = [];
const openStreams: EventStreamReader[] = [];

async function replica(name: string): Promise<Replica> {
  const started = await new Replica(name).start();
  upstreamServers.push(started.server);
  return started;
}

async function edge(kind: EdgeKind, routes: Parameters<typeof startEdge>[1], options?: EdgeOptions) {
  const started = await startEdge(kind, routes, options);
  edges.push(started);
  return started;
}

/** An origin nobody listens on: a service that is down. */
async function deadOrigin(): Promise<string> {
  const server = http.createServer();
  const origin = await listen(server);
  await close(server);
  return origin;
}

const bodyOf = (reply: Reply) => JSON.parse(reply.body) as { name: string; version: number; url: string };

beforeAll(async () => {
  // As the launcher does: installed with apt-get when root, else the test says the command to run.
  await ensureNginx(() => undefined);
});

afterEach(async () => {
  for (const stream of openStreams.splice(0)) stream.close();
  await Promise.all(edges.splice(0).map((running) => running.close()));
  await Promise.all(upstreamServers.splice(0).map((server) => close(server)));
});

afterAll(() => {
  for (const dir of nginxDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each<EdgeKind>(['node', 'nginx'])('the %s edge', (kind) => {
  describe('routing', () => {
    it('sends a path to the longest prefix it equals or lies below, never to a prefix it only starts like', async () => {
      const users = await replica('users');
      const admin = await replica('admin');
      const running = await edge(kind, [
        { prefix: '/api/users', target: users.origin },
        { prefix: '/api/users/admin', target: admin.origin },
      ]);

      expect(bodyOf(await send(running.origin, '/api/users')).name).toBe('users');
      expect(bodyOf(await send(running.origin, '/api/users/signin?next=1')).url).toBe('/api/users/signin?next=1');
      expect(bodyOf(await send(running.origin, '/api/users/admin/list')).name).toBe('admin');
      const lookalike = await send(running.origin, '/api/usersx');
      expect([lookalike.status, JSON.parse(lookalike.body)]).toEqual([404, { errors: [{ message: 'Not found' }] }]);
      expect((await send(running.origin, '/metrics')).status).toBe(404);
    });

    it('when dot segments try to escape a prefix, then the resolved path decides the service', async () => {
      const users = await replica('users');
      const admin = await replica('admin');
      const running = await edge(kind, [
        { prefix: '/api/users', target: users.origin },
        { prefix: '/api/tickets', target: admin.origin },
      ]);

      expect(bodyOf(await send(running.origin, '/api/users/../tickets/1')).name).toBe('admin');
    });

    it('keeps Host, states X-Forwarded-For, -Proto and -Host itself, and passes every Set-Cookie back', async () => {
      const users = await replica('users');
      const running = await edge(kind, [{ prefix: '/api/users', target: users.origin }]);

      const reply = await send(running.origin, '/api/users', {
        headers: { host: 'ticketing.dev', 'x-forwarded-for': '6.6.6.6' },
      });

      const { headers } = JSON.parse(reply.body) as { headers: http.IncomingHttpHeaders };
      expect(headers.host).toBe('ticketing.dev');
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-host']).toBe('ticketing.dev');
      expect(reply.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
    });

    it('passes a write’s method and body through', async () => {
      const users = await replica('users');
      const running = await edge(kind, [{ prefix: '/api/users', target: users.origin }]);

      await send(running.origin, '/api/users/signup', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email":"a@b.c"}',
      });

      expect(users.received).toEqual(['POST /api/users/signup {"email":"a@b.c"}']);
    });

    it('when the service is down, then it answers 502 with the error envelope', async () => {
      const running = await edge(kind, [{ prefix: '/api/orders', target: await deadOrigin() }]);

      const reply = await send(running.origin, '/api/orders');

      expect(reply.status).toBe(502);
      expect(JSON.parse(reply.body)).toEqual({ errors: [{ message: 'Service unavailable' }] });
    });

    it('answers GET /healthz itself', async () => {
      const running = await edge(kind, [{ prefix: '/api/orders', target: await deadOrigin() }]);

      const reply = await send(running.origin, '/healthz');

      expect([reply.status, JSON.parse(reply.body)]).toEqual([200, { status: 'ok' }]);
    });
  });

  describe('the micro-cache', () => {
    let service: Replica;
    let origin: string;
    beforeEach(async () => {
      service = await replica('tickets');
      service.cacheControl = 'public, max-age=0, s-maxage=1';
      origin = (await edge(kind, [{ prefix: '/', target: service.origin }])).origin;
    });

    it('when a service says public, s-maxage=1, then the next GET of the URL is answered without the service', async () => {
      const first = await send(origin, '/api/tickets');
      service.version = 2;
      const second = await send(origin, '/api/tickets');

      expect([bodyOf(first).version, bodyOf(second).version]).toEqual([1, 1]);
      expect(service.count('GET /api/tickets')).toBe(1);
    });

    it('when s-maxage has run out, then the next GET goes to the service again', async () => {
      await send(origin, '/api/tickets');
      service.version = 2;
      await new Promise((resolve) => setTimeout(resolve, 2_100));

      expect(bodyOf(await send(origin, '/api/tickets')).version).toBe(2);
    });

    it('when the answer is private, then every GET reaches the service', async () => {
      service.cacheControl = 'private, max-age=60';
      await send(origin, '/api/orders');
      await send(origin, '/api/orders');

      expect(service.count('GET /api/orders')).toBe(2);
    });

    it('when a request is a write, then it always reaches the service', async () => {
      await send(origin, '/api/tickets', { method: 'POST', body: '{}' });
      await send(origin, '/api/tickets', { method: 'POST', body: '{}' });

      expect(service.count('POST /api/tickets')).toBe(2);
    });

    it('when a request says Cache-Control: no-cache, then it reaches the service and its answer is what the next readers get', async () => {
      await send(origin, '/api/tickets');
      service.version = 2;

      const fresh = await send(origin, '/api/tickets', { headers: { 'cache-control': 'no-cache' } });
      const next = await send(origin, '/api/tickets');

      expect([bodyOf(fresh).version, bodyOf(next).version]).toEqual([2, 2]);
      expect(service.count('GET /api/tickets')).toBe(2);
    });

    it('when twenty readers miss the same URL at once, then one request reaches the service and all twenty get its answer', async () => {
      const replies = await Promise.all(Array.from({ length: 20 }, () => send(origin, '/api/tickets/1')));

      expect(replies.map((reply) => reply.status)).toEqual(Array.from({ length: 20 }, () => 200));
      expect(service.count('GET /api/tickets/1')).toBe(1);
    });

    it('keeps each Host apart', async () => {
      await send(origin, '/api/tickets', { headers: { host: 'a.test' } });
      await send(origin, '/api/tickets', { headers: { host: 'b.test' } });

      expect(service.count('GET /api/tickets')).toBe(2);
    });
  });

  describe('event streams', () => {
    let service: Replica;
    let origin: string;
    const id = '0b6f3c1e-8f5a-4c1e-9d2b-3f4a5b6c7d8e';
    const open = async (streamPath: string, headers: http.OutgoingHttpHeaders = {}) => {
      const reader = await readEventStream(`${origin}${streamPath}`, headers);
      openStreams.push(reader);
      return reader;
    };
    beforeEach(async () => {
      service = await replica('tickets');
      // The micro-cache on, as in `npm start`: streams must pass it by.
      origin = (await edge(kind, [{ prefix: '/api/tickets', target: service.origin }])).origin;
    });

    it('when a stream is open, then each event reaches the browser while the service keeps the answer open', async () => {
      const stream = await open(`/api/tickets/${id}/stream`);
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      await waitUntil(() => service.streams.size === 1);

      service.push('{"n":1}');
      expect((await stream.nextEvent(undefined, { timeoutMs: 2_000 })).data).toBe('{"n":1}');
      service.push('{"n":2}');
      expect((await stream.nextEvent(undefined, { after: 1, timeoutMs: 2_000 })).data).toBe('{"n":2}');
    });

    it('when several browsers (or curl, Accept: */*) open the same stream at once, then each reaches the service', async () => {
      await Promise.all([
        open(`/api/tickets/${id}/stream`),
        open(`/api/tickets/${id}/stream`, { accept: '*/*' }),
        open('/api/tickets/stream?ids=1', { accept: '*/*' }),
      ]);

      await waitUntil(() => service.streams.size === 3, 2_000);
    });
  });

  describe('replicas', () => {
    let a: Replica;
    let b: Replica;
    beforeEach(async () => {
      a = await replica('a');
      b = await replica('b');
    });
    const start = (options: EdgeOptions = {}) =>
      edge(kind, [{ prefix: '/api/orders', target: [a.origin, b.origin] }], { cache: false, ...options });

    it('when requests come one after another, then both replicas get some', async () => {
      const running = await start();
      for (let request = 0; request < 6; request += 1) await send(running.origin, '/api/orders');

      expect([a.received.length, b.received.length]).toEqual([3, 3]);
    });

    it('when a replica refuses the connection, then a POST goes to the other (nothing was sent)', async () => {
      const down = await deadOrigin();
      const running = await edge(kind, [{ prefix: '/api/orders', target: [down, b.origin] }], { cache: false });

      for (let request = 0; request < 2; request += 1) {
        const reply = await send(running.origin, '/api/orders', { method: 'POST', body: '{}' });
        expect([reply.status, bodyOf(reply).name]).toEqual([200, 'b']);
      }
    });

    it('when a replica resets the connection after receiving a GET, then the GET is answered by the other', async () => {
      const running = await start();
      a.dieOnRequest = true;
      b.dieOnRequest = false;

      for (let request = 0; request < 2; request += 1) {
        expect(bodyOf(await send(running.origin, '/api/orders')).name).toBe('b');
      }
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
      'when a %s reached a replica that then failed, then it is not sent again: 502',
      async (method) => {
        const running = await start();
        a.dieOnRequest = true;
        b.dieOnRequest = true;

        const reply = await send(running.origin, '/api/orders/1', { method, body: '{}' });

        expect(reply.status).toBe(502);
        expect(JSON.parse(reply.body)).toEqual({ errors: [{ message: 'Service unavailable' }] });
        expect(a.count(method) + b.count(method)).toBe(1);
      },
    );

    it('when a write the service marks idempotent reached a replica that then failed, then it is sent once to the other, body and all', async () => {
      const running = await start({ idempotentWrites: ['POST /api/orders/:id/scan'] });
      a.dieOnRequest = true;
      b.dieOnRequest = true;

      const reply = await send(running.origin, '/api/orders/42/scan', { method: 'POST', body: '{"nonce":"n1"}' });

      expect(reply.status).toBe(502);
      expect([...a.received, ...b.received]).toEqual([
        'POST /api/orders/42/scan {"nonce":"n1"}',
        'POST /api/orders/42/scan {"nonce":"n1"}',
      ]);
    });

    it('when a replica’s /readyz stops answering 200, then it gets no requests until it answers 200 again', async () => {
      const running = await start({ readiness: { intervalMs: 50 }, upstreamNames: { [a.origin]: 'orders#1' } });
      const outLine = (line: string) => /orders#1 out of the balancing: \/readyz answered 503/.test(line);
      const backLine = (line: string) => /orders#1 back in: \/readyz answered 200/.test(line);
      await new Promise((resolve) => setTimeout(resolve, 200));

      a.ready = 503;
      await waitUntil(() => running.log.some(outLine));
      // nginx takes the change on a reload: its new worker may need a moment to take the requests.
      await new Promise((resolve) => setTimeout(resolve, 300));
      a.received.length = 0;
      for (let request = 0; request < 4; request += 1) await send(running.origin, '/api/orders');
      expect(a.received).toEqual([]);

      a.ready = 200;
      await waitUntil(() => running.log.some(backLine));
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let request = 0; request < 4; request += 1) await send(running.origin, '/api/orders');
      expect(a.received.length).toBeGreaterThan(0);
    });
  });
});
