/**
 * How long a view takes to catch up after its database comes back.
 *
 * Starts the tickets service alone, from its build (`tickets/dist/index.js`, as `npm start` runs it), on a
 * database and a stream of its own; lists a few tickets through its API; takes its database away
 * (`ALLOW_CONNECTIONS false` and its sessions ended, as the chaos harness does); publishes one
 * `order.created` per ticket during the outage (orders reserving them); brings the database back after
 * `--outage-seconds`; then reads the tickets every 20 ms until each shows its order. Prints, per ticket, the
 * seconds from the database accepting connections again to the lock being visible.
 *
 *   npx tsc -b && node bench/dist/outage-catch-up.js [--outage-seconds 25] [--tickets 5]
 *
 * The services' retry settings are their defaults (EVENT_RETRY_BASE_DELAY_MS 250, EVENT_RETRY_MAX_DELAY_MS
 * 30000) unless set in the shell. Nothing of it outlives the run: the process is stopped, the database
 * dropped and the stream deleted, even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { EventBus, OrderStatus } from '@ticketing/common';
import {
  adminDatabaseUrl,
  createTestLogger,
  natsUrl,
  redisUrl,
  refuseConnections,
  sessionCookieFor,
  TEST_JWT_KEY,
  TEST_PASS_SIGNING_KEY,
  withAdminClient,
} from '@ticketing/common/testing';

const { values: args } = parseArgs({
  options: {
    'outage-seconds': { type: 'string', default: '25' },
    tickets: { type: 'string', default: '5' },
  },
});
const outageMs = Number(args['outage-seconds']) * 1000;
const ticketCount = Number(args.tickets);

const say = (line: string) => process.stdout.write(`${line}\n`);

const repo = path.resolve(__dirname, '..', '..');
const name = `bench_outage_${randomBytes(4).toString('hex')}`;

function databaseUrl(): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check().catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  let service: ChildProcess | undefined;
  let bus: EventBus | undefined;
  let restore: (() => Promise<void>) | undefined;
  try {
    service = spawn(process.execPath, [path.join(repo, 'tickets', 'dist', 'index.js')], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: String(port),
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
        DATABASE_URL: databaseUrl(),
        NATS_URL: natsUrl(),
        // Tickets reads the session revocations from the Redis every service shares.
        REDIS_URL: redisUrl(),
        NATS_STREAM: name.toUpperCase(),
        NATS_SUBJECT_PREFIX: name,
        JWT_KEY: TEST_JWT_KEY,
        PASS_SIGNING_KEY: TEST_PASS_SIGNING_KEY,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitUntil('tickets ready', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 30_000);

    const seller = sessionCookieFor().cookie;
    const tickets: { id: string; price: number }[] = [];
    for (let i = 0; i < ticketCount; i += 1) {
      const answer = await fetch(`${base}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: seller },
        body: JSON.stringify({ title: `Outage ${i}`, price: 30 }),
      });
      if (answer.status !== 201) throw new Error(`listing a ticket answered ${answer.status}: ${await answer.text()}`);
      const { id, price } = (await answer.json()) as { id: string; price: number };
      tickets.push({ id, price });
    }

    bus = await EventBus.connect({
      servers: natsUrl(),
      stream: name.toUpperCase(),
      subjectPrefix: name,
      connectionName: 'bench-outage',
      logger: createTestLogger(),
    });

    say(`the tickets database refuses connections for ${outageMs / 1000} s; ${ticketCount} reservations meanwhile`);
    restore = await refuseConnections(name);
    const downAt = Date.now();
    for (const ticket of tickets) {
      await bus.publish('order.created', {
        id: randomUUID(),
        userId: randomUUID(),
        status: OrderStatus.Created,
        expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
        ticket,
        version: 0,
      });
    }
    await sleep(Math.max(0, outageMs - (Date.now() - downAt)));
    await restore();
    restore = undefined;
    const backAt = Date.now();

    const reader = new Client({ connectionString: databaseUrl() });
    await reader.connect();
    const lockedAfter = new Map<string, number>();
    try {
      await waitUntil(
        'every ticket locked',
        async () => {
          const { rows } = await reader.query<{ id: string }>(
            'SELECT id FROM tickets WHERE id = ANY($1) AND order_id IS NOT NULL',
            [tickets.map((ticket) => ticket.id)],
          );
          for (const row of rows) if (!lockedAfter.has(row.id)) lockedAfter.set(row.id, Date.now() - backAt);
          return lockedAfter.size === tickets.length ? true : undefined;
        },
        120_000,
      );
    } finally {
      await reader.end();
    }
    const seconds = [...lockedAfter.values()].sort((a, b) => a - b).map((ms) => ms / 1000);
    say(`database back → lock visible in tickets, per ticket (s): ${seconds.map((s) => s.toFixed(2)).join(', ')}`);
    say(`worst: ${Math.max(...seconds).toFixed(2)} s (goal ≤ 2 s)`);
  } finally {
    await restore?.().catch(() => undefined);
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise((resolve) => service?.once('exit', resolve));
    }
    if (bus) {
      await bus.manager.streams.delete(name.toUpperCase()).catch(() => undefined);
      await bus.close();
    }
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
