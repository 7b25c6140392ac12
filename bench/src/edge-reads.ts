/**
 * `npm run reads -w bench`: a flash sale's read traffic through the gateway and its micro-cache, measured side
 * by side with a bare `node:http` server that sends the same bytes, on the same machine in the same run.
 *
 * It starts the whole stack (services and web app) on free ports, lists tickets, then loads, in rounds, each of:
 * the bare server; the gateway's `GET /api/tickets` (the first page, about 4.7 KB) and `GET /api/tickets/:id`;
 * `/` and `/tickets/:id` for anonymous visitors and for a crowd of signed-in buyers, each with their own
 * session cookie; and, for comparison, the same list through a gateway without the cache. The load runs in a
 * child process (autocannon), so it never shares an event loop with the servers it measures. Last, it changes
 * a ticket and times how long until the list, the ticket and its page show the change.
 *
 * Options: `--seconds N` per run (5), `--rounds N` (3, the median is reported), `--connections N` (50),
 * `--buyers N` distinct signed-in buyers (200).
 */
import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sessionCookieFor, TEST_JWT_KEY } from '@ticketing/common/testing';
import { createGateway, ensureInfrastructure, startStack } from '@ticketing/local-stack';

interface Options {
  seconds: number;
  rounds: number;
  connections: number;
  buyers: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 5, rounds: 3, connections: 50, buyers: 200 };
  for (let index = 0; index < argv.length; index += 2) {
    const [name, value] = [argv[index], Number(argv[index + 1])];
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive whole number`);
    if (name === '--seconds') options.seconds = value;
    else if (name === '--rounds') options.rounds = value;
    else if (name === '--connections') options.connections = value;
    else if (name === '--buyers') options.buyers = value;
    else throw new Error(`unknown option ${name}; use --seconds N --rounds N --connections N --buyers N`);
  }
  return options;
}

/** One load run, as the child process is asked to make it. */
interface LoadRequest {
  url: string;
  seconds: number;
  connections: number;
  /** Request headers, one set per request in turn (a crowd of buyers, each with their own cookie). */
  headerSets: Record<string, string>[];
}

interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** The child's side: run autocannon and send the figures back. */
async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const url = new URL(request.url);
  const result = await autocannon({
    url: url.origin,
    connections: request.connections,
    duration: request.seconds,
    requests: request.headerSets.map((headers) => ({ method: 'GET', path: url.pathname + url.search, headers })),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Runs one load in a child process, so the load generator never competes with the measured event loop. */
function loadInChild(request: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--load'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (message) => resolve(message as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load process exited with ${code}`));
    });
    child.send(request);
  });
}

/** A bare server answering every request with the same status line, headers and body. */
async function startBareServer(headers: string[], body: Buffer): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; rawHeaders: string[]; body: Buffer }>((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }),
        );
      })
      .on('error', reject);
  });
}

function send(base: string, method: string, route: string, cookie: string, body: unknown) {
  return fetch(`${base}${route}`, {
    method,
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds from now until `url`'s body contains `text` (polled every 20 ms, for at most 5 s). */
async function msUntilShown(url: string, text: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 5_000) {
    if ((await get(url)).body.toString('utf8').includes(text)) return Date.now() - started;
    await sleep(20);
  }
  return Number.POSITIVE_INFINITY;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const repo = path.resolve(__dirname, '..', '..');
  const namespace = `reads_${randomBytes(4).toString('hex')}`;
  const infrastructure = await ensureInfrastructure({ dataDir: path.join(repo, '.data'), log: () => undefined });
  const stack = await startStack({
    repoRoot: repo,
    dataDir: path.join(repo, '.data'),
    log: () => undefined,
    infrastructure,
    ports: 'ephemeral',
    namespace,
    services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
    env: { JWT_KEY: TEST_JWT_KEY, LOG_LEVEL: 'warn' },
    onServiceOutput: () => undefined,
  });
  const base = `http://127.0.0.1:${stack.gatewayPort}`;
  const servers: http.Server[] = [];
  try {
    const seller = sessionCookieFor().cookie;
    const tickets: { id: string }[] = [];
    for (let index = 0; index < 21; index += 1) {
      const listed = await send(base, 'POST', '/api/tickets', seller, {
        title: `Arctic Monkeys, 12 June, Row F, seat ${index + 1}`,
        price: 120 + index,
      });
      if (listed.status !== 201) throw new Error(`listing failed: ${listed.status} ${await listed.text()}`);
      tickets.push((await listed.json()) as { id: string });
    }
    // The newest: on the list's first page, which the runs read.
    const ticket = tickets.at(-1) as { id: string };

    // The bare server sends exactly what a hit sends: the same headers (Age included) and body.
    await get(`${base}/api/tickets`);
    const hit = await get(`${base}/api/tickets`);
    const hitHeaders = hit.rawHeaders.filter(
      (_value, index, all) => !/^(connection|keep-alive)$/i.test(all[index - (index % 2)] ?? ''),
    );
    const bare = await startBareServer(hitHeaders, hit.body);
    const uncached = createGateway([{ prefix: '/api/tickets', target: stack.serviceUrl('tickets') }], () => undefined, {
      cache: false,
    });
    await new Promise<void>((resolve) => uncached.listen(0, '127.0.0.1', resolve));
    servers.push(bare, uncached);
    const portOf = (server: http.Server) => (server.address() as AddressInfo).port;

    const anonymous = [{}];
    const crowd = Array.from({ length: options.buyers }, () => ({ cookie: sessionCookieFor().cookie }));
    const runs: { name: string; url: string; headerSets: Record<string, string>[] }[] = [
      {
        name: 'bare node:http, same bytes as /api/tickets',
        url: `http://127.0.0.1:${portOf(bare)}/api/tickets`,
        headerSets: anonymous,
      },
      { name: 'gateway GET /api/tickets', url: `${base}/api/tickets`, headerSets: anonymous },
      { name: 'gateway GET /api/tickets/:id', url: `${base}/api/tickets/${ticket.id}`, headerSets: anonymous },
      { name: 'gateway GET / (anonymous)', url: `${base}/`, headerSets: anonymous },
      { name: `gateway GET / (${options.buyers} signed-in buyers)`, url: `${base}/`, headerSets: crowd },
      { name: 'gateway GET /tickets/:id (anonymous)', url: `${base}/tickets/${ticket.id}`, headerSets: anonymous },
      {
        name: `gateway GET /tickets/:id (${options.buyers} signed-in buyers)`,
        url: `${base}/tickets/${ticket.id}`,
        headerSets: crowd,
      },
      {
        name: 'gateway without cache, GET /api/tickets',
        url: `http://127.0.0.1:${portOf(uncached)}/api/tickets`,
        headerSets: anonymous,
      },
    ];
    const results = new Map<string, LoadResult[]>();
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const run of runs) {
        const result = await loadInChild({
          url: run.url,
          seconds: options.seconds,
          connections: options.connections,
          headerSets: run.headerSets,
        });
        results.set(run.name, [...(results.get(run.name) ?? []), result]);
        process.stdout.write(`round ${round}: ${run.name}: ${result.requestsPerSecond.toFixed(0)} req/s\n`);
      }
    }

    // Freshness, at its worst: each read is stored by the edge just before the change, then polled until
    // the new price shows.
    const readsOfTheTicket = [
      `${base}/api/tickets`,
      `${base}/api/tickets/${ticket.id}`,
      `${base}/tickets/${ticket.id}`,
    ];
    await Promise.all(readsOfTheTicket.map((url) => get(url)));
    const newPrice = 987.65;
    const changed = await send(base, 'PUT', `/api/tickets/${ticket.id}`, seller, {
      title: 'Arctic Monkeys, 12 June, Row F, seat 21',
      price: newPrice,
    });
    if (changed.status !== 200) throw new Error(`the change failed: ${changed.status}`);
    const [listMs, ticketMs, pageMs] = await Promise.all(
      readsOfTheTicket.map((url, index) => msUntilShown(url, index < 2 ? String(newPrice) : '$987.65')),
    );

    const bareRate = median((results.get(runs[0]!.name) ?? []).map((result) => result.requestsPerSecond));
    const lines = [
      '',
      `edge reads: ${options.rounds} rounds × ${options.seconds} s, ${options.connections} connections, median req/s (median p50 / p99 ms)`,
      `  list body ${hit.body.length} bytes; ratio = run / bare`,
    ];
    for (const run of runs) {
      const all = results.get(run.name) ?? [];
      const rate = median(all.map((result) => result.requestsPerSecond));
      const failures = all.reduce((sum, result) => sum + result.non2xx + result.errors, 0);
      lines.push(
        `  ${run.name.padEnd(52)} ${rate.toFixed(0).padStart(7)}  ${(rate / bareRate).toFixed(2)}×  ` +
          `(${median(all.map((result) => result.p50Ms))} / ${median(all.map((result) => result.p99Ms))} ms)` +
          (failures > 0 ? `  ${failures} non-2xx or errors` : ''),
      );
    }
    lines.push(
      `  a change read just after the edge stored the old answer shows in the list after ${listMs} ms, in the ticket after ${ticketMs} ms, on its page after ${pageMs} ms`,
      '',
    );
    process.stdout.write(lines.join('\n'));
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await stack.stop();
    await stack.dropDatabases();
    await stack.dropExpirationQueue();
    const connection = await connect({ servers: infrastructure.natsUrl });
    await (await jetstreamManager(connection)).streams.delete(namespace.toUpperCase()).catch(() => undefined);
    await connection.close();
    await infrastructure.stop();
  }
}

if (process.argv[2] === '--load') {
  process.once('message', (request) => {
    void runLoad(request as LoadRequest).then((result) => {
      process.send?.(result, () => process.exit(0));
    });
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
