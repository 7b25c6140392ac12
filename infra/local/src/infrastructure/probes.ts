import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Client } from 'pg';

import { delay, describeExit, hasExited, lastLine } from '../processes';
import { describeServer, hostOf, portOf } from './addresses';
import { errorMessage, InfrastructureError } from './errors';
import { connectRedis } from './redis-connection';

/** How long a probe waits for a server to answer. */
export const PROBE_TIMEOUT_MS = 3_000;
/** How long a server we started gets to answer its first probe. */
export const STARTUP_TIMEOUT_MS = 20_000;

/** What a probe learnt: a usable server, nothing there (yet), or something there that we cannot use. */
export type ProbeResult = { state: 'up'; cluster?: string } | { state: 'down' } | { state: 'wrong'; problem: string };
const UP: ProbeResult = { state: 'up' };
const DOWN: ProbeResult = { state: 'down' };

export async function probePostgres(url: URL): Promise<ProbeResult> {
  const client = new Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  // A server that goes away mid-probe emits 'error' on the client; without a listener that would crash.
  client.on('error', () => undefined);
  let connected = false;
  try {
    await client.connect();
    connected = true;
    await client.query('SELECT 1');
    return UP;
  } catch (error) {
    if (isUnreachable(error)) return DOWN;
    return {
      state: 'wrong',
      problem: `PostgreSQL at ${describeServer(url, 5432)} answered but refused us: ${errorMessage(error)}`,
    };
  } finally {
    // end() on a client whose connect() failed can wait forever on some versions of pg.
    if (connected) await client.end().catch(() => undefined);
  }
}

/** Errors that mean "nothing usable listens there (yet)", as opposed to "it answered and said no". */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code !== undefined) {
    // 57P03: the database system is starting up / shutting down.
    return [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EADDRNOTAVAIL',
      'ENOENT',
      'EPIPE',
      '57P03',
    ].includes(code);
  }
  return /timeout|terminated/i.test(errorMessage(error));
}

export async function probeNats(url: URL): Promise<ProbeResult> {
  const where = describeServer(url, 4222);
  const greeting = await readFirstLine(hostOf(url), portOf(url, 4222));
  if (greeting === undefined) return DOWN;
  // A NATS server greets every client with one `INFO {json}` line before anything else, even with TLS or
  // authentication configured, so reading that line is enough to know it is NATS and what it offers.
  let info: { jetstream?: unknown; cluster?: unknown } | undefined;
  if (greeting.startsWith('INFO ')) {
    try {
      info = JSON.parse(greeting.slice(5)) as { jetstream?: unknown; cluster?: unknown };
    } catch {
      info = undefined;
    }
  }
  if (info === undefined) {
    return {
      state: 'wrong',
      problem: `something at ${where} answers, but it is not a NATS server (no INFO line)`,
    };
  }
  if (info.jetstream !== true) {
    return {
      state: 'wrong',
      problem:
        `NATS at ${where} runs without JetStream, which Ticketing needs: restart it with ` +
        '`nats-server -js` (or enable jetstream in its configuration), or point NATS_URL at another server',
    };
  }
  // A clustered server names its cluster in INFO: how a NATS_URL of three servers is known to be one cluster.
  return typeof info.cluster === 'string' && info.cluster !== '' ? { state: 'up', cluster: info.cluster } : UP;
}

/**
 * Connects and reads the first line the server sends unasked: `''` when it sends nothing before closing or
 * timing out, `undefined` when nothing accepts the connection.
 */
function readFirstLine(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let connected = false;
    let received = '';
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(connected ? (received.split('\r\n')[0] ?? '') : undefined);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, finish);
    socket.once('connect', () => {
      connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.includes('\r\n')) finish();
    });
    socket.once('error', finish);
    socket.once('close', finish);
  });
}

export async function probeRedis(url: URL): Promise<ProbeResult> {
  const where = describeServer(url, 6379);
  const redis = await connectRedis(url.toString(), PROBE_TIMEOUT_MS);
  if (redis === undefined) return DOWN;
  try {
    const answer = await redis.ping();
    if (answer === 'PONG') return UP;
    return { state: 'wrong', problem: `Redis at ${where} answered ${answer} to PING` };
  } catch (error) {
    // ioredis's reply parser fails on the first byte that is not RESP: a web server, NATS's INFO line.
    if ((error as Error).name === 'ParserError') {
      return { state: 'wrong', problem: `something at ${where} answers, but it is not a Redis server` };
    }
    return { state: 'wrong', problem: `Redis at ${where} answered ${errorMessage(error)} to PING` };
  } finally {
    redis.disconnect();
  }
}

/**
 * Polls `probe` until the server answers. Fails early when the child it runs in has exited, and on timeout,
 * naming the log file and quoting its last line.
 */
export async function waitUntilUp(
  probe: () => Promise<ProbeResult>,
  what: string,
  logFile: string,
  child?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer';
  for (;;) {
    if (child && hasExited(child)) {
      throw new InfrastructureError(
        `${what} exited (${describeExit(child)}) before it answered; see ${logFile}${quoteLastLogLine(logFile)}`,
      );
    }
    const result = await probe();
    if (result.state === 'up') return;
    if (result.state === 'wrong') lastProblem = result.problem;
    if (Date.now() > deadline) {
      throw new InfrastructureError(
        `${what} did not answer within ${STARTUP_TIMEOUT_MS / 1000} s (${lastProblem}); ` +
          `see ${logFile}${quoteLastLogLine(logFile)}`,
      );
    }
    await delay(100);
  }
}

/** ` (last line: …)` of a server's log file, or nothing when it has none. */
export function quoteLastLogLine(logFile: string): string {
  try {
    const line = lastLine(fs.readFileSync(logFile, 'utf8'));
    return line === '' ? '' : ` (last line: ${line})`;
  } catch {
    return '';
  }
}
