import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { createGateway } from '../src/gateway';
import { SERVICES } from '../src/services';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Echo {
  upstream: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A tiny real upstream that answers with what it received, and sets two cookies. */
function startEchoUpstream(name: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = {
        upstream: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      res.setHeader('set-cookie', ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });
  return listenOnEphemeralPort(server);
}

function listenOnEphemeralPort(server: http.Server): Promise<http.Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function originOf(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Sends a request through the gateway; `chunks` are written one by one, so the body is streamed. */
function send(
  method: string,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; chunks?: string[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // `path` as an option is sent as written; a URL string would have its dot segments resolved first.
    const { hostname, port } = new URL(gatewayOrigin);
    const request = http.request(
      { hostname, port, path, method, headers: options.headers, agent: false },
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
    for (const chunk of options.chunks ?? []) request.write(chunk);
    request.end();
  });
}

let users: http.Server;
let admin: http.Server;
let gateway: http.Server;
let gatewayOrigin: string;
let deadOrigin: string;
const gatewayLog: string[] = [];

beforeAll(async () => {
  users = await startEchoUpstream('users');
  admin = await startEchoUpstream('admin');
  // A port that was free a moment ago and has nobody listening: the "service is down" upstream.
  const closed = await listenOnEphemeralPort(http.createServer());
  deadOrigin = originOf(closed);
  await close(closed);

  gateway = createGateway(
    [
      { prefix: '/api/users', target: originOf(users) },
      { prefix: '/api/users/admin', target: originOf(admin) },
      { prefix: '/api/tickets', target: originOf(admin) },
      { prefix: '/api/orders', target: deadOrigin },
    ],
    (line) => gatewayLog.push(line),
  );
  await listenOnEphemeralPort(gateway);
  gatewayOrigin = originOf(gateway);
});

afterAll(async () => {
  await Promise.all([close(gateway), close(users), close(admin)]);
});

describe('gateway routing', () => {
  it('when a path equals a prefix or lies below it, then that route serves it', async () => {
    const exact = JSON.parse((await send('GET', '/api/users')).body) as Echo;
    const below = JSON.parse((await send('GET', '/api/users/currentuser')).body) as Echo;
    const tickets = JSON.parse((await send('GET', '/api/tickets/42')).body) as Echo;

    expect(exact.upstream).toBe('users');
    expect(below.upstream).toBe('users');
    expect(tickets.upstream).toBe('admin');
  });

  it('when two prefixes match, then the longest one wins, whatever the order of the routes', async () => {
    const admin = JSON.parse((await send('GET', '/api/users/admin/stats')).body) as Echo;
    const lookalike = JSON.parse((await send('GET', '/api/users/adminx')).body) as Echo;

    expect(admin.upstream).toBe('admin');
    expect(lookalike.upstream).toBe('users');
  });

  it('when a path only starts with the same letters as a prefix (/api/usersx), then it is a 404 envelope', async () => {
    const reply = await send('GET', '/api/usersx');

    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when no route matches, then it answers 404 with the error envelope', async () => {
    const reply = await send('POST', '/nowhere/at/all');

    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when dot segments try to escape a prefix, then the resolved path decides the route', async () => {
    const reply = await send('GET', '/api/users/../nowhere');

    expect(reply.status).toBe(404);
  });
});

describe('gateway proxying', () => {
  it('passes method, path with query string, and a streamed body to the upstream', async () => {
    const reply = await send('PATCH', '/api/users/currentuser?expand=1&x=%20y', {
      headers: { 'content-type': 'application/json' },
      chunks: ['{"email":', '"a@b.c"}'],
    });
    const echo = JSON.parse(reply.body) as Echo;

    expect(reply.status).toBe(200);
    expect(echo.method).toBe('PATCH');
    expect(echo.url).toBe('/api/users/currentuser?expand=1&x=%20y');
    expect(echo.body).toBe('{"email":"a@b.c"}');
    expect(echo.headers['content-type']).toBe('application/json');
  });

  it('streams a large body both ways intact', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);

    const reply = await send('POST', '/api/tickets', {
      chunks: [big.slice(0, 1_000_000), big.slice(1_000_000)],
    });

    expect((JSON.parse(reply.body) as Echo).body).toBe(big);
  });

  it('streams the response: the client gets the first chunk before the upstream has finished', async () => {
    let releaseEnd: () => void = () => undefined;
    const slow = await listenOnEphemeralPort(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        releaseEnd = () => res.end('last');
      }),
    );
    const streaming = createGateway([{ prefix: '/stream', target: originOf(slow) }], () => undefined);
    await listenOnEphemeralPort(streaming);
    try {
      const received = await new Promise<string>((resolve, reject) => {
        http
          .get(`${originOf(streaming)}/stream`, { agent: false }, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => {
              body += chunk.toString('utf8');
              // The upstream only ends once the first chunk has come through the gateway.
              if (body === 'first;') releaseEnd();
            });
            response.on('end', () => resolve(body));
          })
          .on('error', reject);
      });

      expect(received).toBe('first;last');
    } finally {
      await Promise.all([close(streaming), close(slow)]);
    }
  });

  it('keeps the original Host and adds the X-Forwarded headers', async () => {
    const reply = await send('GET', '/api/users/currentuser', {
      headers: { host: 'ticketing.test:3000', cookie: 'session=abc' },
    });
    const { headers } = JSON.parse(reply.body) as Echo;

    expect(headers.host).toBe('ticketing.test:3000');
    expect(headers.cookie).toBe('session=abc');
    expect(headers['x-forwarded-host']).toBe('ticketing.test:3000');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-for']).toMatch(/127\.0\.0\.1/);
  });

  it('passes every Set-Cookie header back unchanged', async () => {
    const reply = await send('POST', '/api/users/signin', { chunks: ['{}'] });

    expect(reply.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
  });

  it('when the upstream is down, then it answers 502 with the error envelope and logs why', async () => {
    const reply = await send('GET', '/api/orders');

    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toEqual({ errors: [{ message: 'Service unavailable' }] });
    expect(gatewayLog.some((line) => line.includes('/api/orders') && line.includes(deadOrigin))).toBe(true);
  });
});

describe('gateway own pages', () => {
  it('answers GET /healthz itself', async () => {
    const reply = await send('GET', '/healthz');

    expect(reply.status).toBe(200);
  });

  it('while no client covers /, GET / is an HTML page listing the routes', async () => {
    const reply = await send('GET', '/');

    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.body).toContain('/api/users');
    expect(reply.body).toContain('/api/tickets');
  });

  it('when a route covers /, then / and unknown paths go to it', async () => {
    const client = createGateway([{ prefix: '/', target: originOf(users) }], () => undefined);
    await listenOnEphemeralPort(client);
    try {
      const reply = await new Promise<Echo>((resolve, reject) => {
        http
          .get(`${originOf(client)}/tickets/new`, { agent: false }, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
            response.on('end', () => resolve(JSON.parse(body) as Echo));
          })
          .on('error', reject);
      });

      expect(reply.upstream).toBe('users');
      expect(reply.url).toBe('/tickets/new');
    } finally {
      await close(client);
    }
  });
});

describe('what the edge exposes', () => {
  it('routes only /api/… prefixes to the services and / to the web app, so /metrics reaches no service', async () => {
    for (const service of SERVICES) {
      for (const prefix of service.routes) {
        expect([service.name, prefix]).toEqual([
          service.name,
          // The web app serves `/` and the API reference (`/api/docs`); a service only its own /api/<name>.
          service.name === 'client'
            ? expect.stringMatching(/^\/(api\/docs)?$/)
            : expect.stringMatching(/^\/api\/[a-z]+$/),
        ]);
      }
    }
    // The stack's own routing, with an echo upstream per service and one for the web app.
    const upstreams = await Promise.all(SERVICES.map((service) => startEchoUpstream(service.name)));
    const edge = createGateway(
      SERVICES.flatMap((service, index) =>
        service.routes.map((prefix) => ({ prefix, target: originOf(upstreams[index] as http.Server) })),
      ),
      () => undefined,
    );
    await listenOnEphemeralPort(edge);
    try {
      for (const path of ['/metrics', '/api/../metrics', '/healthz/../metrics']) {
        const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const { port } = edge.address() as AddressInfo;
          http
            .get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
              let body = '';
              response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
              response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
            })
            .on('error', reject);
        });
        expect([path, (JSON.parse(reply.body) as Echo).upstream]).toEqual([path, 'client']);
      }
    } finally {
      await close(edge);
      await Promise.all(upstreams.map(close));
    }
  });
});

describe('keep-alive to the services', () => {
  it('when an upstream socket has been idle nearly as long as the upstream keeps it, then the gateway opens a new one instead of reusing it', async () => {
    // The upstream announces `Keep-Alive: timeout=2` and closes idle sockets after 2 s; a request sent on
    // such a socket just as it closes would fail with ECONNRESET (a 502).
    let connections = 0;
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    upstream.keepAliveTimeout = 2_000;
    upstream.on('connection', () => (connections += 1));
    await listenOnEphemeralPort(upstream);
    const edge = createGateway([{ prefix: '/', target: originOf(upstream) }], () => undefined);
    await listenOnEphemeralPort(edge);
    const get = () =>
      new Promise<number>((resolve, reject) => {
        http
          .get(`${originOf(edge)}/x`, { agent: false }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          })
          .on('error', reject);
      });
    try {
      expect(await get()).toBe(200);
      expect(await get()).toBe(200);
      // Back to back: the same upstream socket served both.
      expect(connections).toBe(1);
      // Idle for longer than the hint less a second, shorter than the upstream's own timeout.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await get()).toBe(200);
      expect(connections).toBe(2);
    } finally {
      await Promise.all([close(edge), close(upstream)]);
    }
  });
});
