import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

import {
  DEFAULT_DATABASE_URL,
  ensureDatabase,
  ensureDebianProgram,
  ensureInfrastructure,
  InfrastructureError,
  MissingBinaryError,
  type RunningInfrastructure,
} from '../src/infrastructure';
import { findFreePort } from '../src/ports';
import { stopChildProcess } from '../src/processes';

jest.setTimeout(60_000);

function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Sends raw bytes, resolves with everything received once `isComplete` says so. */
function talk(port: number, request: string | undefined, isComplete: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      if (request !== undefined) socket.write(request);
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no complete answer on port ${port}: ${received}`)));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (isComplete(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.once('error', reject);
  });
}

async function natsInfo(port: number): Promise<{ jetstream?: boolean }> {
  const line = await talk(port, undefined, (text) => text.includes('\r\n'));
  return JSON.parse(line.slice('INFO '.length, line.indexOf('\r\n'))) as { jetstream?: boolean };
}

/** Runs `use` on a connection to the Redis on `port` of this machine, and closes it. */
async function withRedis<T>(port: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

async function queryOne<T>(url: string, sql: string): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}

interface LocalUrls {
  env: NodeJS.ProcessEnv;
  ports: { postgres: number; nats: number; redis: number };
}

async function urlsOnFreePorts(): Promise<LocalUrls> {
  const ports = { postgres: await findFreePort(), nats: await findFreePort(), redis: await findFreePort() };
  return {
    ports,
    env: {
      ...process.env,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${ports.postgres}/postgres`,
      NATS_URL: `nats://127.0.0.1:${ports.nats}`,
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    },
  };
}

let dataDir: string;
const handles: RunningInfrastructure[] = [];
let logLines: string[];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-infra-'));
  logLines = [];
  handles.length = 0;
});

afterEach(async () => {
  // Whatever a failed test left running must not outlive it.
  for (const handle of handles) await handle.stop().catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function ensure(options: Omit<Parameters<typeof ensureInfrastructure>[0], 'dataDir' | 'log'>) {
  const handle = await ensureInfrastructure({
    ...options,
    dataDir,
    log: (line) => logLines.push(line),
  });
  handles.push(handle);
  return handle;
}

describe('ensureInfrastructure when nothing answers on this machine', () => {
  it('starts nats-server with JetStream, redis-server and a private PostgreSQL cluster, and stop() stops them', async () => {
    const { env, ports } = await urlsOnFreePorts();

    const infrastructure = await ensure({ env });

    expect(infrastructure.started).toEqual(['postgres', 'nats', 'redis']);
    expect(infrastructure.databaseUrl).toBe(env.DATABASE_URL);
    expect(infrastructure.natsUrl).toBe(env.NATS_URL);
    expect(infrastructure.redisUrl).toBe(env.REDIS_URL);

    expect((await natsInfo(ports.nats)).jetstream).toBe(true);
    expect(await withRedis(ports.redis, (redis) => redis.ping())).toBe('PONG');
    expect(await withRedis(ports.redis, (redis) => redis.config('GET', 'maxmemory-policy'))).toEqual([
      'maxmemory-policy',
      'noeviction',
    ]);
    expect(await withRedis(ports.redis, (redis) => redis.config('GET', 'appendonly'))).toEqual(['appendonly', 'yes']);
    const row = await queryOne<{ answer: number }>(infrastructure.databaseUrl, 'SELECT 1 AS answer');
    expect(row.answer).toBe(1);

    expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'nats', 'jetstream'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'redis'))).toBe(true);
    expect(logLines).toContainEqual(
      `nats       started nats-server on 127.0.0.1:${ports.nats} (data in ${path.join(dataDir, 'nats')})`,
    );
    expect(
      logLines.some((line) => /^postgres {3}started PostgreSQL \d+ on 127\.0\.0\.1:\d+ \(new cluster/.test(line)),
    ).toBe(true);

    await infrastructure.stop();

    expect(await isPortOpen(ports.nats)).toBe(false);
    expect(await isPortOpen(ports.redis)).toBe(false);
    expect(await isPortOpen(ports.postgres)).toBe(false);
  });

  it('when started again on the same data folder, then the data written before is still there', async () => {
    const { env, ports } = await urlsOnFreePorts();
    const first = await ensure({ env });
    const admin = new Client({ connectionString: first.databaseUrl });
    await admin.connect();
    await admin.query('CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)');
    await admin.end();
    await withRedis(ports.redis, (redis) => redis.set('kept', 'still-here'));
    await first.stop();

    const second = await ensure({ env });

    expect(second.started).toEqual(['postgres', 'nats', 'redis']);
    expect(logLines.some((line) => /^postgres {3}started .*\(data in /.test(line))).toBe(true);
    expect(await queryOne<{ value: string }>(second.databaseUrl, 'SELECT value FROM kept')).toEqual({
      value: 'still here',
    });
    expect(await withRedis(ports.redis, (redis) => redis.get('kept'))).toBe('still-here');
    await second.stop();
  });

  it('when the URL names a database other than postgres, then the new cluster gets it', async () => {
    const port = await findFreePort();
    const databaseUrl = `postgres://postgres@localhost:${port}/shop`;

    const infrastructure = await ensure({
      env: { ...process.env, DATABASE_URL: databaseUrl },
      need: { nats: false, redis: false },
    });

    expect(infrastructure.started).toEqual(['postgres']);
    expect(await queryOne<{ name: string }>(databaseUrl, 'SELECT current_database() AS name')).toEqual({
      name: 'shop',
    });
    await infrastructure.stop();
  });

  it('when one component cannot be had, then it stops what it already started and names the problem', async () => {
    const natsPort = await findFreePort();
    const env = {
      ...process.env,
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      // 127.0.0.2 is loopback but not one of the hosts the launcher treats as "this machine".
      REDIS_URL: `redis://127.0.0.2:${await findFreePort()}`,
    };

    const attempt = ensureInfrastructure({
      env,
      dataDir,
      log: () => undefined,
      need: { postgres: false },
    });

    await expect(attempt).rejects.toThrow(InfrastructureError);
    await expect(attempt).rejects.toThrow(
      /Redis is not reachable at redis:\/\/127\.0\.0\.2:\d+, which is not on this machine/,
    );
    expect(await isPortOpen(natsPort)).toBe(false);
  });

  it('when NATS answers without JetStream, then it fails with a message that says so', async () => {
    const port = await findFreePort();
    const plainNats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
    });
    try {
      for (let tries = 0; !(await isPortOpen(port)) && tries < 100; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      const attempt = ensure({
        env: { ...process.env, NATS_URL: `nats://127.0.0.1:${port}` },
        need: { postgres: false, redis: false },
      });

      await expect(attempt).rejects.toThrow(/runs without JetStream.*nats-server -js/);
    } finally {
      await stopChildProcess(plainNats);
    }
  });
});

describe('ensureInfrastructure when the servers already run at the default URLs', () => {
  it('reuses them, starts nothing, and stop() leaves them running', async () => {
    const infrastructure = await ensure({ env: process.env });

    expect(infrastructure.started).toEqual([]);
    expect(logLines).toContainEqual('postgres   reusing postgres://postgres@127.0.0.1:5432');
    expect(logLines).toContainEqual('nats       reusing nats://127.0.0.1:4222');
    expect(logLines).toContainEqual('redis      reusing redis://127.0.0.1:6379');

    await infrastructure.stop();

    expect(await isPortOpen(5432)).toBe(true);
    expect(await isPortOpen(4222)).toBe(true);
    expect(await isPortOpen(6379)).toBe(true);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

describe('ensureDatabase', () => {
  const adminUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const name = `ticketing_test_${process.pid}_${Date.now()}`;

  afterAll(async () => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    await client.end();
  });

  it('when two callers ask for a missing database at once, then both get its URL and it exists once', async () => {
    const [first, second] = await Promise.all([ensureDatabase(adminUrl, name), ensureDatabase(adminUrl, name)]);

    const expected = new URL(adminUrl);
    expected.pathname = `/${name}`;
    expect(first).toBe(expected.toString());
    expect(second).toBe(first);
    expect(await queryOne<{ name: string }>(first, 'SELECT current_database() AS name')).toEqual({
      name,
    });
  });

  it('when the database exists, then it returns the same URL and leaves it alone', async () => {
    const url = await ensureDatabase(adminUrl, name);
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS marker (id int)');
    await client.end();

    expect(await ensureDatabase(adminUrl, name)).toBe(url);
    expect(await queryOne<{ exists: string | null }>(url, "SELECT to_regclass('marker')::text AS exists")).toEqual({
      exists: 'marker',
    });
  });
});

describe('ensureDebianProgram', () => {
  it('when the program is there, then it does nothing and says nothing', async () => {
    const lines: string[] = [];
    await ensureDebianProgram(process.execPath, 'nodejs', (line) => lines.push(line));
    expect(lines).toEqual([]);
  });

  it('when the program is missing and apt-get cannot be used, then it fails with the exact install command', async () => {
    const lines: string[] = [];
    const missing = ensureDebianProgram('/nonexistent/chromium', 'chromium', (line) => lines.push(line), {
      PATH: '/nonexistent',
    });
    await expect(missing).rejects.toThrow(MissingBinaryError);
    await expect(missing).rejects.toThrow(/apt-get install -y chromium$/);
    expect(lines).toEqual([]);
  });
});
