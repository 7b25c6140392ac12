import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

import { dropDatabase, type RunningInfrastructure } from '../src/infrastructure';

/** Ports the next `findFreePort` calls answer, in order, before the kernel's own picks (another process's). */
const mockFreePortAnswers: number[] = [];
jest.mock('../src/ports', () => {
  const actual = jest.requireActual<typeof import('../src/ports')>('../src/ports');
  return {
    ...actual,
    findFreePort: () => {
      const next = mockFreePortAnswers.shift();
      return next === undefined ? actual.findFreePort() : Promise.resolve(next);
    },
  };
});
import { isPortTaken } from '../src/ports';
import { SERVICES, type ServiceName } from '../src/services';
import { exitWithParentFlag, startStack, StackError, type RunningStack, type StackOptions } from '../src/stack';

/**
 * A tiny stand-in for a service: answers /readyz, `GET /crash` makes it exit, and anything else returns its
 * name, the path it received and its environment. It refuses to start when FAKE_CRASH names it.
 */
const FAKE_SERVICE = `
const http = require('node:http');
const name = process.env.FAKE_NAME_OVERRIDE || require('node:path').basename(process.cwd());
if (process.env.FAKE_CRASH === name || (process.env.FAKE_REFUSE_FILE && require('node:fs').existsSync(process.env.FAKE_REFUSE_FILE))) {
  console.error('fake ' + name + ' refuses to start');
  process.exit(3);
}
const server = http.createServer((req, res) => {
  if (req.url === '/readyz') { res.writeHead(200); res.end('{}'); return; }
  if (req.url === '/crash') { res.writeHead(200); res.end('{}', () => process.exit(4)); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: name, url: req.url, pid: process.pid, env: process.env }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

interface Echo {
  service: string;
  url: string;
  pid: number;
  env: Record<string, string>;
}

const infrastructure: RunningInfrastructure = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  started: [],
  stop: async () => undefined,
};

/** A repository holding a fake, built service in every registry folder, the client included. */
function makeFakeRepo(options: { unbuilt?: ServiceName[] } = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-test-'));
  for (const service of SERVICES) {
    if (options.unbuilt?.includes(service.name)) continue;
    const entry = path.join(root, service.dir, service.entry);
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    fs.writeFileSync(entry, FAKE_SERVICE);
  }
  return root;
}

const repoRoot = makeFakeRepo();
const stacks: RunningStack[] = [];
const namespaces: string[] = [];

function uniqueNamespace(): string {
  const namespace = `stacktest_${randomBytes(4).toString('hex')}`;
  namespaces.push(namespace);
  return namespace;
}

async function start(overrides: Partial<StackOptions> = {}, lines: string[] = []): Promise<RunningStack> {
  const stack = await startStack({
    repoRoot,
    dataDir: path.join(repoRoot, '.data'),
    log: (line) => lines.push(line),
    infrastructure,
    ports: 'ephemeral',
    namespace: uniqueNamespace(),
    onServiceOutput: (service, line) => lines.push(`${service} | ${line}`),
    ...overrides,
    env: { STRIPE_SECRET_KEY: undefined, STRIPE_WEBHOOK_SECRET: undefined, ...overrides.env },
  });
  stacks.push(stack);
  return stack;
}

async function echo(url: string): Promise<Echo> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

/** An address of this machine other than loopback (its LAN or container address), if it has one. */
function nonLoopbackAddress(): string | undefined {
  const addresses = Object.values(os.networkInterfaces()).flatMap((entries) => entries ?? []);
  return addresses.find((entry) => !entry.internal && entry.family === 'IPv4')?.address;
}

/** Whether this machine has the IPv6 loopback address (some containers have no IPv6 at all). */
async function hasLoopbackV6(): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

/** Whether a TCP connection to `host`:`port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function databasesNamed(prefix: string): Promise<string[]> {
  const client = new Client({ connectionString: infrastructure.databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%' ORDER BY datname",
      [prefix],
    );
    return result.rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

function readyPorts(lines: readonly string[]): number[] {
  return lines.flatMap((line) => {
    const match = / ready on http:\/\/127\.0\.0\.1:(\d+) /.exec(line);
    return match ? [Number(match[1])] : [];
  });
}

// A dozen stacks and their databases: side by side, and with room for a loaded machine (each stop may wait
// for seven processes to exit).
afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.stop()));
  // Also the databases of stacks that failed to start, which returned no handle.
  const names = (await Promise.all(namespaces.map((namespace) => databasesNamed(namespace)))).flat();
  await Promise.all(names.map((name) => dropDatabase(infrastructure.databaseUrl, name)));
  fs.rmSync(repoRoot, { recursive: true, force: true });
}, 120_000);

describe('startStack', () => {
  it('when another process takes a free port before its service binds it, then the stack starts again on other ports', async () => {
    // Found free, then taken by someone else before auth could bind it: what another test file's stack does.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as net.AddressInfo).port;
    mockFreePortAnswers.push(taken);
    try {
      const lines: string[] = [];
      const stack = await start({ services: ['auth'] }, lines);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`port ${taken} \\(auth\\) was taken meanwhile`)));
      const ports = readyPorts(lines);
      expect(ports).toHaveLength(1);
      expect(ports[0]).not.toBe(taken);
      expect((await echo(`${stack.url}/api/users/x`)).service).toBe('auth');
    } finally {
      mockFreePortAnswers.length = 0;
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('runs every service on its own port behind the gateway, which routes by path prefix', async () => {
    const lines: string[] = [];
    const stack = await start({}, lines);

    expect(stack.services).toEqual([
      'auth',
      'tickets',
      'orders',
      'stripe-emulator',
      'payments',
      'expiration',
      'client',
    ]);
    const ticket = await echo(`${stack.url}/api/tickets/abc?x=1`);
    expect(ticket).toMatchObject({ service: 'tickets', url: '/api/tickets/abc?x=1' });
    expect((await echo(`${stack.url}/api/payments`)).service).toBe('payments');
    expect(ticket.env.PORT).toBe(new URL(stack.serviceUrl('tickets')).port);
    // The client renders on the server and fetches through the gateway, as it does through the edge in a cluster.
    const page = await echo(`${stack.url}/tickets/abc`);
    expect(page).toMatchObject({ service: 'client', url: '/tickets/abc' });
    expect(page.env.API_URL).toBe(`http://127.0.0.1:${stack.gatewayPort}`);
    // Its calls on the visitor's session go to auth itself, as in the cluster: auth trusts one hop, the web app.
    expect(page.env.AUTH_API_URL).toBe(stack.serviceUrl('auth'));
    expect(lines).toContainEqual(expect.stringMatching(/^gateway {4}listening on port \d+ \(\/api\/users, /));
  });

  it('listens for this machine only: the gateway on its loopback addresses, every service told HOST=127.0.0.1', async () => {
    // The launcher's own HOST (here, as if exported in the shell) is the gateway's business, never a service's.
    const stack = await start({ env: { HOST: '0.0.0.0' } });
    const port = stack.gatewayPort;

    expect(await accepts('127.0.0.1', port)).toBe(true);
    if (await hasLoopbackV6()) expect(await accepts('::1', port)).toBe(true);
    const elsewhere = nonLoopbackAddress();
    if (elsewhere !== undefined) expect([elsewhere, await accepts(elsewhere, port)]).toEqual([elsewhere, false]);

    for (const name of ['auth', 'tickets', 'orders', 'payments', 'expiration', 'stripe-emulator'] as const) {
      expect([name, (await echo(`${stack.serviceUrl(name)}/env`)).env.HOST]).toEqual([name, '127.0.0.1']);
    }
    // Next.js's standalone server listens on HOSTNAME.
    expect((await echo(`${stack.url}/env`)).env.HOSTNAME).toBe('127.0.0.1');
  });

  it('with a gateway host (HOST of npm start), listens there: 0.0.0.0 opens the gateway, and only it, to the network', async () => {
    const stack = await start({ gatewayHost: '0.0.0.0' });
    const elsewhere = nonLoopbackAddress();
    if (elsewhere !== undefined) expect(await accepts(elsewhere, stack.gatewayPort)).toBe(true);
    expect(await accepts('127.0.0.1', stack.gatewayPort)).toBe(true);
    expect((await echo(`${stack.serviceUrl('tickets')}/env`)).env.HOST).toBe('127.0.0.1');
  });

  it('gives each service its namespace: database <namespace>_<service>, stream, subject prefix and queue', async () => {
    const namespace = uniqueNamespace();
    const stack = await start({ namespace, env: { ORDER_EXPIRATION_SECONDS: '2', JWT_KEY: 'k'.repeat(32) } });

    const orders = await echo(`${stack.serviceUrl('orders')}/env`);
    expect(new URL(orders.env.DATABASE_URL as string).pathname).toBe(`/${namespace}_orders`);
    expect(orders.env).toMatchObject({
      NATS_STREAM: namespace.toUpperCase(),
      NATS_SUBJECT_PREFIX: namespace,
      EXPIRATION_QUEUE: `${namespace}-order-expiration`,
      NATS_URL: infrastructure.natsUrl,
      REDIS_URL: infrastructure.redisUrl,
      ORDER_EXPIRATION_SECONDS: '2',
      JWT_KEY: 'k'.repeat(32),
    });
    const expiration = await echo(`${stack.serviceUrl('expiration')}/env`);
    expect(expiration.env.DATABASE_URL).toBeUndefined();
    expect(await databasesNamed(namespace)).toEqual(
      ['auth', 'orders', 'payments', 'tickets'].map((service) => `${namespace}_${service}`),
    );
  });

  it('without STRIPE_SECRET_KEY, wires the Stripe emulator and payments to each other with one secret', async () => {
    const stack = await start();

    const emulator = await echo(`${stack.serviceUrl('stripe-emulator')}/env`);
    const payments = await echo(`${stack.serviceUrl('payments')}/env`);
    expect(emulator.env.STRIPE_WEBHOOK_URL).toBe(`${stack.serviceUrl('payments')}/api/payments/webhook`);
    expect(payments.env.STRIPE_API_URL).toBe(stack.serviceUrl('stripe-emulator'));
    expect(payments.env.STRIPE_WEBHOOK_SECRET).toBe('whsec_ticketing_local_emulator');
    expect(emulator.env.STRIPE_WEBHOOK_SECRET).toBe('whsec_ticketing_local_emulator');
  });

  it('with STRIPE_SECRET_KEY set, the emulator does not run and payments keeps the real Stripe settings', async () => {
    const lines: string[] = [];
    const stack = await start({ env: { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_real' } }, lines);

    expect(stack.services).not.toContain('stripe-emulator');
    expect(lines).toContain('stripe-emulator not started: STRIPE_SECRET_KEY is set, so payments talks to Stripe');
    const payments = await echo(`${stack.serviceUrl('payments')}/env`);
    expect(payments.env.STRIPE_API_URL).toBeUndefined();
    expect(payments.env.STRIPE_WEBHOOK_SECRET).toBe('whsec_real');
  });

  it('with services listed, runs only those, and the emulator along with payments', async () => {
    const stack = await start({ services: ['auth', 'payments'] });

    expect(stack.services).toEqual(['auth', 'stripe-emulator', 'payments']);
    const response = await fetch(`${stack.url}/api/tickets`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('without auth in the stack, the client is given no AUTH_API_URL (its session calls go through the gateway), whatever the shell says', async () => {
    const stack = await start({ services: ['client'], env: { AUTH_API_URL: 'http://127.0.0.1:1' } });

    const page = await echo(`${stack.url}/tickets/abc`);
    expect(page.env.API_URL).toBe(`http://127.0.0.1:${stack.gatewayPort}`);
    expect(page.env.AUTH_API_URL).toBeUndefined();
  });

  it('when a service is stopped, then the gateway answers 502 for it; started again, it has the same port and environment', async () => {
    const stack = await start({ env: { LOG_LEVEL: 'warn' } });
    const before = await echo(`${stack.url}/api/orders`);

    await stack.stopService('orders');
    expect((await fetch(`${stack.url}/api/orders`)).status).toBe(502);
    expect((await echo(`${stack.url}/api/tickets`)).service).toBe('tickets');

    await stack.startService('orders');
    const after = await echo(`${stack.url}/api/orders`);
    expect(after.pid).not.toBe(before.pid);
    expect(after.env).toMatchObject({
      PORT: before.env.PORT,
      DATABASE_URL: before.env.DATABASE_URL,
      NATS_STREAM: before.env.NATS_STREAM,
      LOG_LEVEL: 'warn',
    });
    await expect(stack.startService('orders')).rejects.toThrow('orders is already running');
  });

  it('when a service is killed, then it is gone at once without being reported as a crash, and starts again', async () => {
    const lines: string[] = [];
    const exits: string[] = [];
    const stack = await start({ onUnexpectedExit: (service, exit) => exits.push(`${service}: ${exit}`) }, lines);
    const before = await echo(`${stack.url}/api/orders`);
    expect(stack.processIdOf('orders')).toBe(before.pid);

    await stack.killService('orders');
    expect(stack.processIdOf('orders')).toBeUndefined();
    expect((await fetch(`${stack.url}/api/orders`)).status).toBe(502);
    expect(lines).toContain('orders     killed (SIGKILL)');

    await stack.startService('orders');
    expect(stack.processIdOf('orders')).toBe((await echo(`${stack.url}/api/orders`)).pid);
    expect(exits).toEqual([]);
  });

  it('when a ready service exits on its own, then it says so in one line with its last lines, calls onUnexpectedExit, and is started again', async () => {
    const lines: string[] = [];
    const exits: string[] = [];
    const stack = await start({ onUnexpectedExit: (service, exit) => exits.push(`${service}: ${exit}`) }, lines);
    const before = stack.processIdOf('auth');

    await fetch(`${stack.serviceUrl('auth')}/crash`);
    await waitUntil(() => exits.length > 0);
    expect(exits).toEqual(['auth: code 4']);
    expect(lines).toContain(
      'auth       exited unexpectedly (code 4); restarting in 1 s (1 of 5 crashes of auth allowed within 60 s)',
    );
    await waitUntil(() => lines.some((line) => line.startsWith('auth       ready again on ')), 15_000);
    const after = await echo(`${stack.url}/api/users`);
    expect(after.pid).not.toBe(before);
    expect(stack.processIdOf('auth')).toBe(after.pid);
  });

  it('when a restart fails (the process exits before it is ready), then it counts as a crash and is tried again after the next pause', async () => {
    const lines: string[] = [];
    const refuse = path.join(repoRoot, `refuse-${randomBytes(4).toString('hex')}`);
    const stack = await start(
      {
        services: ['auth'],
        env: { FAKE_REFUSE_FILE: refuse },
        restart: { firstDelayMs: 100, longestDelayMs: 200, giveUpAfter: 100 },
      },
      lines,
    );
    fs.writeFileSync(refuse, '');

    await fetch(`${stack.serviceUrl('auth')}/crash`);
    await waitUntil(() =>
      lines.some((line) =>
        line.startsWith('auth       did not come back: exited (code 3) before it was ready; restarting in '),
      ),
    );
    fs.rmSync(refuse);

    await waitUntil(() => lines.some((line) => line.startsWith('auth       ready again on ')));
    expect((await echo(`${stack.url}/api/users`)).service).toBe('auth');
  });

  it('with restart: false, a service that exits on its own stays stopped and is reported', async () => {
    const lines: string[] = [];
    const stack = await start({ restart: false, services: ['auth'] }, lines);

    await fetch(`${stack.serviceUrl('auth')}/crash`);
    await waitUntil(() => lines.includes('auth       stopped unexpectedly (code 4)'));
    expect(stack.processIdOf('auth')).toBeUndefined();
  });

  it('when one service keeps crashing, then after 5 crashes within the window it is given up with one line naming it and its last exit', async () => {
    const lines: string[] = [];
    const loops: string[] = [];
    const exits: string[] = [];
    const stack = await start(
      {
        services: ['auth', 'tickets'],
        restart: { firstDelayMs: 50, longestDelayMs: 100 },
        onCrashLoop: (service, reason) => loops.push(`${service}: ${reason}`),
        onUnexpectedExit: (service, exit) => exits.push(`${service}: ${exit}`),
      },
      lines,
    );

    const readyAgain = () => lines.filter((line) => line.startsWith('auth       ready again on ')).length;
    for (let crash = 1; crash <= 5; crash += 1) {
      await waitUntil(() => readyAgain() === crash - 1, 15_000);
      await fetch(`${stack.serviceUrl('auth')}/crash`);
      await waitUntil(() => exits.length === crash);
    }
    await waitUntil(() => loops.length > 0);
    expect(loops).toEqual(['auth: auth crashed 5 times within 60 s (last exit: code 4); not restarting it']);
    expect(lines).toContain('auth       crashed 5 times within 60 s (last exit: code 4); not restarting it');
    // The others run on.
    expect((await echo(`${stack.url}/api/tickets`)).service).toBe('tickets');
  });

  it('with replicas: 2, runs two processes of every service but the Stripe emulator, each on its own port and log prefix, and the gateway balances across them', async () => {
    const lines: string[] = [];
    const stack = await start({ replicas: 2 }, lines);

    expect(stack.replicas).toBe(2);
    const orders = stack.instancesOf('orders');
    expect(orders.map((instance) => instance.name)).toEqual(['orders#1', 'orders#2']);
    expect(new Set(orders.map((instance) => instance.port)).size).toBe(2);
    expect(stack.instancesOf('stripe-emulator').map((instance) => instance.name)).toEqual(['stripe-emulator']);
    const second = await echo(`${stack.serviceUrl('orders', 2)}/env`);
    expect(second.pid).toBe(stack.processIdOf('orders', 2));
    expect(second.env.PORT).toBe(String(orders[1]?.port));
    // Both replicas share the service's database; the webhook goes through the gateway, which balances it.
    expect(second.env.DATABASE_URL).toBe((await echo(`${stack.serviceUrl('orders', 1)}/env`)).env.DATABASE_URL);
    expect((await echo(`${stack.serviceUrl('stripe-emulator')}/env`)).env.STRIPE_WEBHOOK_URL).toBe(
      `http://127.0.0.1:${stack.gatewayPort}/api/payments/webhook`,
    );
    expect(lines).toContainEqual(expect.stringMatching(/^orders#2 +ready on http:\/\/127\.0\.0\.1:\d+ /));

    // Ties go in turn, so two requests in a row reach both. On a loaded machine a readiness poll can time out
    // and take a replica out until the next good one (a second later): so requests go on for a few seconds.
    const pids = new Set<number>();
    for (const until = Date.now() + 5_000; pids.size < 2 && Date.now() < until;) {
      pids.add((await echo(`${stack.url}/api/orders`)).pid);
      if (pids.size < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([...pids].sort()).toEqual(orders.map((instance) => instance.pid).sort());
  });

  it('with replicas: 2, a replica killed with SIGKILL is restarted, and GETs meanwhile are answered by the other', async () => {
    const lines: string[] = [];
    const stack = await start({ replicas: 2, services: ['orders'] }, lines);
    const killed = stack.processIdOf('orders', 2) as number;

    process.kill(killed, 'SIGKILL');
    const statuses = new Set<number>();
    while (!lines.some((line) => line.startsWith('orders#2   ready again on '))) {
      const response = await fetch(`${stack.url}/api/orders`);
      statuses.add(response.status);
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([...statuses]).toEqual([200]);
    expect(lines).toContain(
      'orders#2   exited unexpectedly (signal SIGKILL); restarting in 1 s (1 of 5 crashes of orders allowed within 60 s)',
    );
    expect(stack.processIdOf('orders', 2)).not.toBe(killed);
    expect(stack.processIdOf('orders', 2)).toBeDefined();
  });

  it('with edge: nginx, nginx is the edge: it balances the replicas, a killed one’s GETs go to the other, and stop() stops nginx', async () => {
    const lines: string[] = [];
    const stack = await start({ replicas: 2, services: ['orders'], edge: 'nginx' }, lines);
    expect(stack.edge).toBe('nginx');
    expect(lines).toContainEqual(expect.stringMatching(/^edge +nginx listening on port \d+/));
    const orders = stack.instancesOf('orders');
    // Ties go in turn, so two requests in a row reach both. On a loaded machine a readiness poll can time out
    // and take a replica out until the next good one (a second later): so requests go on for a few seconds.
    const pids = new Set<number>();
    for (const until = Date.now() + 5_000; pids.size < 2 && Date.now() < until;) {
      pids.add((await echo(`${stack.url}/api/orders`)).pid);
      if (pids.size < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([...pids].sort()).toEqual(orders.map((instance) => instance.pid).sort());

    await stack.killService('orders', 2);
    for (let request = 0; request < 4; request += 1) {
      expect((await echo(`${stack.url}/api/orders`)).pid).toBe(stack.processIdOf('orders', 1));
    }

    const nginxProcesses = stack.edgeProcessIds();
    expect(nginxProcesses.length).toBeGreaterThan(1);
    await stack.stop();
    await waitUntil(() => nginxProcesses.every((pid) => !isAlive(pid)));
  });

  it('rejects replicas outside 1 to 4', async () => {
    await expect(start({ replicas: 5 })).rejects.toThrow('replicas must be a whole number from 1 to 4');
  });

  it('stop() stops the gateway and every service; dropDatabases() and dropExpirationQueue() remove what the namespace left', async () => {
    const namespace = uniqueNamespace();
    const lines: string[] = [];
    const stack = await start({ namespace }, lines);
    const queueKey = `bull:${namespace}-order-expiration:delayed`;
    const otherKey = `bull:${namespace}-order-expirations:delayed`;
    const redis = new Redis(infrastructure.redisUrl);
    try {
      await redis.set(queueKey, '1');
      await redis.set(otherKey, '1');
      const ports = [...readyPorts(lines), stack.gatewayPort];
      expect(ports).toHaveLength(8);

      await stack.stop();
      await stack.stop();
      for (const port of ports) expect(await isPortTaken(port)).toBe(false);
      await stack.dropDatabases();
      expect(await databasesNamed(namespace)).toEqual([]);
      await stack.dropExpirationQueue();
      expect(await redis.exists(queueKey)).toBe(0);
      expect(await redis.del(otherKey)).toBe(1);
    } finally {
      redis.disconnect();
    }
  });

  it('without a namespace, dropExpirationQueue() refuses to touch the shared queue', async () => {
    // Expiration alone: no database of the default namespace is created on the developer's server.
    const stack = await start({ namespace: undefined, services: ['expiration'] });

    await expect(stack.dropExpirationQueue()).rejects.toThrow('only the queue of a namespaced stack can be dropped');
  });

  it('when a service exits before it is ready, then it rejects naming it, with its last lines, and stops the others', async () => {
    const lines: string[] = [];
    const failing = start({ env: { FAKE_CRASH: 'orders' } }, lines);

    await expect(failing).rejects.toThrow(new StackError('orders exited (code 3) before it was ready'));
    expect(lines).toContain('orders     | fake orders refuses to start');
    const started = readyPorts(lines);
    expect(started.length).toBeGreaterThan(0);
    for (const port of started) expect(await isPortTaken(port)).toBe(false);
  });

  it("when a service's port is taken, then it rejects naming the service and the port", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(start({ ports: { auth: port }, services: ['auth'], gatewayPort: 0 })).rejects.toThrow(
        `auth cannot start: port ${port} is already in use`,
      );
    } finally {
      blocker.close();
    }
  });

  it('when a service is missing its build or unknown, then it rejects before starting anything', async () => {
    const unbuilt = makeFakeRepo({ unbuilt: ['tickets'] });
    try {
      await expect(start({ repoRoot: unbuilt })).rejects.toThrow(
        'tickets is not built: tickets/dist/index.js is missing (run npm run build)',
      );
    } finally {
      fs.rmSync(unbuilt, { recursive: true, force: true });
    }
    await expect(start({ services: ['auth', 'billing' as ServiceName] })).rejects.toThrow(
      'there is no service named billing',
    );
    await expect(start({ namespace: 'Bad-Name' })).rejects.toThrow(/namespace "Bad-Name" must be lower case/);
  });
});

describe('a service process', () => {
  it('when the process that started it is killed outright, then it stops by itself', async () => {
    // A launcher that starts a service as startStack does (detached, with the preload), then is SIGKILLed:
    // no exit hook of the launcher runs. (--import preloads apply to a script file, not to node -e.)
    const service = path.join(repoRoot, 'idle-service.js');
    // The flag names the launcher's pid, known only inside the launcher: it fills it in.
    const PARENT_PLACEHOLDER = 987654321;
    fs.writeFileSync(service, 'setInterval(() => {}, 1000);\n');
    const launcher = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const flag = ${JSON.stringify(exitWithParentFlag(PARENT_PLACEHOLDER))}.replace('${PARENT_PLACEHOLDER}', String(process.pid));
         const args = [flag, ${JSON.stringify(service)}];
         const service = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
         console.log(service.pid);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const servicePid = await new Promise<number>((resolve) =>
      launcher.stdout.once('data', (chunk) => resolve(Number(String(chunk)))),
    );
    expect(isAlive(servicePid)).toBe(true);

    launcher.kill('SIGKILL');

    await waitUntil(() => !isAlive(servicePid));
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
