import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { createGateway, type GatewayOptions } from '../src/gateway';
import { SERVICES } from '../src/services';

/**
 * A replica: answers its name; `/readyz` with `ready` (200 or 503); `/hold` answers only when released;
 * `/die` (and any path while `dieOnRequest`) destroys the connection after reading the request, as a process
 * killed mid-request would.
 */
interface Replica {
  name: string;
  server: http.Server;
  origin: string;
  ready: number;
  dieOnRequest: boolean;
  /** Requests received, as `METHOD path body`. */
  received: string[];
  held: Array<() => void>;
}

async function startReplica(name: string): Promise<Replica> {
  const replica: Replica = {
    name,
    server: http.createServer(),
    origin: '',
    ready: 200,
    dieOnRequest: false,
    received: [],
    held: [],
  };
  replica.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/readyz') {
        res.writeHead(replica.ready);
        res.end();
        return;
      }
      replica.received.push(`${req.method ?? ''} ${req.url ?? ''} ${Buffer.concat(chunks).toString('utf8')}`.trim());
      if (replica.dieOnRequest || req.url === '/api/orders/die') {
        req.socket.destroy();
        return;
      }
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(name);
      };
      if (req.url?.endsWith('/stream')) {
        // An event stream that sends one event, then stays open until the process dies.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${name}\n\n`);
        return;
      }
      if (req.url?.startsWith('/api/orders/hold')) replica.held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => replica.server.listen(0, '127.0.0.1', resolve));
  replica.origin = `http://127.0.0.1:${(replica.server.address() as AddressInfo).port}`;
  return replica;
}

function close(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const servers: http.Server[] = [];

async function startGateway(
  targets: readonly string[],
  log: string[] = [],
  options: GatewayOptions = {},
): Promise<string> {
  const gateway = createGateway([{ prefix: '/api/orders', target: targets }], (line) => log.push(line), {
    cache: false,
    ...options,
  });
  servers.push(gateway);
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
}

async function send(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.text() };
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let a: Replica;
let b: Replica;

beforeEach(async () => {
  a = await startReplica('a');
  b = await startReplica('b');
  servers.push(a.server, b.server);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

describe('the gateway with replicas', () => {
  it('when requests come one after another, then the replicas take turns', async () => {
    const gateway = await startGateway([a.origin, b.origin]);

    const answers: string[] = [];
    for (let request = 0; request < 4; request += 1) answers.push((await send(`${gateway}/api/orders`)).body);

    expect(answers).toEqual(['a', 'b', 'a', 'b']);
  });

  it('when one replica is busy with a slow request, then the next requests go to the one with fewer in flight', async () => {
    const gateway = await startGateway([a.origin, b.origin]);
    const slow = send(`${gateway}/api/orders/hold`);
    await waitUntil(() => a.held.length === 1);

    const answers: string[] = [];
    for (let request = 0; request < 3; request += 1) answers.push((await send(`${gateway}/api/orders`)).body);

    expect(answers).toEqual(['b', 'b', 'b']);
    a.held.forEach((release) => release());
    expect((await slow).body).toBe('a');
  });

  it('when a replica refuses the connection, then the request (a POST too: nothing was sent) goes to the other, and the refusing one is taken out', async () => {
    const log: string[] = [];
    await close(a.server);
    const gateway = await startGateway([a.origin, b.origin], log, { upstreamNames: { [a.origin]: 'orders#1' } });

    const post = await send(`${gateway}/api/orders`, { method: 'POST', body: '{"ticketId":"t1"}' });
    expect(post).toEqual({ status: 200, body: 'b' });
    expect(b.received).toEqual(['POST /api/orders {"ticketId":"t1"}']);
    expect(log).toContain('gateway    orders#1 out of the balancing: connection refused');

    // Out: the next requests go straight to b, without trying a first.
    b.received = [];
    for (let request = 0; request < 3; request += 1) expect((await send(`${gateway}/api/orders`)).body).toBe('b');
    expect(log.filter((line) => line.includes('trying'))).toHaveLength(1);
  });

  it('when a client gives up on a request a replica is still working on, then that replica stays in the balancing (the reset is the gateway’s own)', async () => {
    const log: string[] = [];
    const gateway = await startGateway([a.origin, b.origin], log, { upstreamNames: { [a.origin]: 'orders#1' } });
    const upstreamClosed = new Promise<void>((resolve) =>
      a.server.once('request', (req: http.IncomingMessage) => req.socket.once('close', () => resolve())),
    );
    const leaving = new AbortController();
    const abandoned = fetch(`${gateway}/api/orders/hold`, { method: 'POST', body: '{}', signal: leaving.signal });
    await waitUntil(() => a.held.length === 1);

    leaving.abort();
    await expect(abandoned).rejects.toThrow();
    await upstreamClosed;

    const answers = [(await send(`${gateway}/api/orders`)).body, (await send(`${gateway}/api/orders`)).body];
    expect(answers.sort()).toEqual(['a', 'b']);
    expect(log.filter((line) => line.includes('out of the balancing'))).toEqual([]);
  });

  it('when a replica resets the connection after receiving a GET, then the GET is answered by the other', async () => {
    const gateway = await startGateway([a.origin, b.origin]);
    a.dieOnRequest = true;

    const reply = await send(`${gateway}/api/orders/1`);

    expect(reply).toEqual({ status: 200, body: 'b' });
    expect(a.received).toEqual(['GET /api/orders/1']);
  });

  it('when a POST reached a replica that then failed, then it is not sent again: 502', async () => {
    const gateway = await startGateway([a.origin, b.origin]);
    a.dieOnRequest = true;

    const reply = await send(`${gateway}/api/orders`, { method: 'POST', body: '{}' });

    expect(reply.status).toBe(502);
    expect(a.received).toEqual(['POST /api/orders {}']);
    expect(b.received).toEqual([]);
  });

  it('when a write the service marks idempotent reached a replica that then failed, then it is sent once to the other, body and all', async () => {
    const gateway = await startGateway([a.origin, b.origin], [], { idempotentWrites: ['POST /api/orders/:id/scan'] });
    a.dieOnRequest = true;

    const reply = await send(`${gateway}/api/orders/42/scan`, { method: 'POST', body: '{"nonce":"n1"}' });

    expect(reply).toEqual({ status: 200, body: 'b' });
    expect(b.received).toEqual(['POST /api/orders/42/scan {"nonce":"n1"}']);
  });

  it('retries once only: when both replicas fail a GET, then it is a 502', async () => {
    const gateway = await startGateway([a.origin, b.origin]);
    a.dieOnRequest = true;
    b.dieOnRequest = true;

    const reply = await send(`${gateway}/api/orders`);

    expect(reply.status).toBe(502);
    expect(a.received.length + b.received.length).toBe(2);
  });

  it('when a replica’s /readyz stops answering 200, then it gets no requests until it answers 200 again', async () => {
    const log: string[] = [];
    const gateway = await startGateway([a.origin, b.origin], log, {
      readiness: { intervalMs: 50 },
      upstreamNames: { [a.origin]: 'orders#1' },
    });
    await new Promise((resolve) => setTimeout(resolve, 150));

    a.ready = 503;
    await waitUntil(() => log.includes('gateway    orders#1 out of the balancing: /readyz answered 503'));
    for (let request = 0; request < 4; request += 1) expect((await send(`${gateway}/api/orders`)).body).toBe('b');

    a.ready = 200;
    await waitUntil(() => log.includes('gateway    orders#1 back in: /readyz answered 200'));
    const answers = new Set<string>();
    for (let request = 0; request < 4; request += 1) answers.add((await send(`${gateway}/api/orders`)).body);
    expect([...answers].sort()).toEqual(['a', 'b']);
  });

  it('when a replica that refused connections comes back, then its first good /readyz takes it back in', async () => {
    const log: string[] = [];
    const port = Number(new URL(a.origin).port);
    const gateway = await startGateway([a.origin, b.origin], log, { readiness: { intervalMs: 50 } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await close(a.server);
    expect((await send(`${gateway}/api/orders`)).body).toBe('b');
    expect((await send(`${gateway}/api/orders`)).body).toBe('b');

    const again = await startReplica('a');
    await close(again.server);
    await new Promise<void>((resolve) => again.server.listen(port, '127.0.0.1', resolve));
    servers.push(again.server);
    await waitUntil(() => log.some((line) => line.includes('back in: /readyz answered 200')));

    const answers = new Set<string>();
    for (let request = 0; request < 4; request += 1) answers.add((await send(`${gateway}/api/orders`)).body);
    expect([...answers].sort()).toEqual(['a', 'b']);
  });

  it('an event stream goes to one replica; when that replica dies mid-stream, then the stream ends and is not sent to the other', async () => {
    const gateway = await startGateway([a.origin, b.origin]);
    const response = await fetch(`${gateway}/api/orders/1/stream`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const [opened, other] = first.includes('data: a') ? [a, b] : [b, a];

    opened.server.closeAllConnections();

    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow();
    expect(opened.received).toEqual(['GET /api/orders/1/stream']);
    expect(other.received).toEqual([]);
  });

  it('when every replica is out, then requests still go to them rather than failing at the gateway', async () => {
    const gateway = await startGateway([a.origin, b.origin], [], { readiness: { intervalMs: 50 } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    a.ready = 503;
    b.ready = 503;
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect((await send(`${gateway}/api/orders`)).status).toBe(200);
  });
});

describe('the writes services mark idempotent (services.ts)', () => {
  it('are each a write method on a path under one of the service’s own routes', () => {
    const marked = SERVICES.flatMap((service) => (service.idempotentWrites ?? []).map((write) => ({ service, write })));
    expect(marked.map(({ write }) => write).sort()).toEqual(['POST /api/checkins', 'POST /api/payments/webhook']);
    for (const { service, write } of marked) {
      const [method = '', path = ''] = write.split(' ');
      expect([write, ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)]).toEqual([write, true]);
      expect([write, service.routes.some((route) => path === route || path.startsWith(`${route}/`))]).toEqual([
        write,
        true,
      ]);
    }
  });
});
