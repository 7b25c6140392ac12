/**
 * `npm run bench -w bench -- reservation-rush`: many buyers reserve few tickets at once, every request
 * through the gateway, and the answers are timed. It prints how many orders were placed (exactly one per
 * ticket, or the lock failed), the statuses, and the latency percentiles of the buyers' answers.
 *
 * `--repo <dir>` runs the services built in another checkout (for a before/after of a change to the
 * reservation path, in the same run on the same machine): `git worktree add ../before <rev>`, `npm install
 * && npx tsc -b` there, then pass `--repo ../before`.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sessionCookieFor, TEST_JWT_KEY } from '@ticketing/common/testing';
import { ensureInfrastructure, startStack } from '@ticketing/local-stack';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

interface Options {
  /** `rush`: many buyers at once; `buyable`: how long from a listing's 201 until a buyer can reserve it. */
  scenario: 'rush' | 'buyable';
  buyers: number;
  tickets: number;
  repo: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { scenario: 'rush', buyers: 500, tickets: 50, repo: path.resolve(__dirname, '..', '..') };
  for (let index = 0; index < argv.length; index += 2) {
    const [name, value] = [argv[index], argv[index + 1]];
    if (name === '--buyers') options.buyers = Number(value);
    else if (name === '--tickets') options.tickets = Number(value);
    else if (name === '--repo') options.repo = path.resolve(value ?? '.');
    else if (name === '--scenario' && (value === 'rush' || value === 'buyable')) options.scenario = value;
    else throw new Error(`unknown option ${name}; use --scenario rush|buyable --buyers N --tickets N --repo DIR`);
  }
  return options;
}

interface Answer {
  status: number;
  body: string;
  ms: number;
}

function send(agent: http.Agent, base: string, method: string, route: string, cookie: string, body: unknown) {
  return new Promise<Answer>((resolve) => {
    const started = performance.now();
    const payload = JSON.stringify(body);
    const request = http.request(
      `${base}${route}`,
      {
        method,
        agent,
        headers: { cookie, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
      },
    );
    request.on('error', (error) => resolve({ status: 0, body: error.message, ms: performance.now() - started }));
    request.end(payload);
  });
}

/**
 * One listing at a time: the seller lists, and a buyer at once asks for it at the version listed. Orders
 * waits (up to 2 s) for its replica to learn the ticket, so the answer's time is the listing's journey
 * through tickets' outbox, JetStream and orders' listener.
 */
async function measureListingToBuyable(agent: http.Agent, base: string, options: Options): Promise<void> {
  const seller = sessionCookieFor().cookie;
  const ms: number[] = [];
  for (let index = 0; index < options.tickets; index += 1) {
    const listed = await send(agent, base, 'POST', '/api/tickets', seller, { title: `Fresh ${index}`, price: 30 });
    const ticket = JSON.parse(listed.body) as { id: string; version: number };
    const started = performance.now();
    const order = await send(agent, base, 'POST', '/api/orders', sessionCookieFor().cookie, {
      ticketId: ticket.id,
      ticketVersion: ticket.version,
    });
    if (order.status !== 201) throw new Error(`not buyable: ${order.status} ${order.body}`);
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  process.stdout.write(
    `listing → buyable, ${options.tickets} listings one at a time: p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${(ms.at(-1) ?? 0).toFixed(0)} ms\n`,
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const namespace = `rush_${randomBytes(4).toString('hex')}`;
  const infrastructure = await ensureInfrastructure({
    dataDir: path.join(options.repo, '.data'),
    log: () => undefined,
  });
  const stack = await startStack({
    repoRoot: options.repo,
    dataDir: path.join(options.repo, '.data'),
    log: () => undefined,
    infrastructure,
    ports: 'ephemeral',
    namespace,
    services: ['auth', 'tickets', 'orders', 'payments', 'expiration'],
    env: { JWT_KEY: TEST_JWT_KEY, LOG_LEVEL: 'warn' },
    onServiceOutput: () => undefined,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.buyers });
  try {
    if (options.scenario === 'buyable') {
      await measureListingToBuyable(agent, stack.url, options);
      return;
    }
    const seller = sessionCookieFor().cookie;
    const tickets: { id: string; version: number }[] = [];
    for (let index = 0; index < options.tickets; index += 1) {
      const created = await send(agent, stack.url, 'POST', '/api/tickets', seller, {
        title: `Rush ${index}`,
        price: 30,
      });
      if (created.status !== 201) throw new Error(`listing failed: ${created.status} ${created.body}`);
      tickets.push(JSON.parse(created.body) as { id: string; version: number });
    }
    // Let orders' replica learn every ticket before the doors open.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const buyers = Array.from({ length: options.buyers }, () => sessionCookieFor().cookie);
    const started = performance.now();
    const answers = await Promise.all(
      buyers.map((cookie, index) => {
        const ticket = tickets[index % tickets.length] as { id: string; version: number };
        return send(agent, stack.url, 'POST', '/api/orders', cookie, {
          ticketId: ticket.id,
          ticketVersion: ticket.version,
        });
      }),
    );
    const wallMs = performance.now() - started;

    const statuses = new Map<number, number>();
    for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    const ms = answers.map((answer) => answer.ms).sort((a, b) => a - b);
    const placed = statuses.get(201) ?? 0;
    process.stdout.write(
      [
        `reservation rush: ${options.buyers} buyers for ${options.tickets} tickets, services from ${options.repo}`,
        `  orders placed ${placed} (expected ${options.tickets}${placed === options.tickets ? '' : ', MISMATCH'})`,
        `  statuses ${[...statuses].map(([status, count]) => `${status}×${count}`).join(' ')}`,
        `  latency p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${(ms.at(-1) ?? 0).toFixed(0)} ms; all answered in ${wallMs.toFixed(0)} ms`,
        '',
      ].join('\n'),
    );
  } finally {
    agent.destroy();
    await stack.stop();
    await stack.dropDatabases();
    await stack.dropExpirationQueue();
    const connection = await connect({ servers: infrastructure.natsUrl });
    await (await jetstreamManager(connection)).streams.delete(namespace.toUpperCase()).catch(() => undefined);
    await connection.close();
    await infrastructure.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
