/**
 * The load the scenarios send, through well-kept generators: undici's Pool for bursts of distinct requests
 * (each buyer with their own cookie and body, over a fixed number of connections, as an edge proxy pools
 * them), autocannon for sustained throughput. Plus the anchors: bare `node:http` servers on this machine,
 * so that a figure can be read against what the same client reaches with no marketplace behind it.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import autocannon from 'autocannon';
import { Pool } from 'undici';

import type { AnchorOrders } from './anchor-server';
import type { GatewayAnchorOrders } from './gateway-anchor';

export interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  cookie?: string;
  body?: unknown;
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

/** An HTTP client of the suite: one undici Pool per origin, with at most `connections` sockets. */
export class Client {
  private readonly pool: Pool;

  constructor(origin: string, connections = 64) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 4_000 });
  }

  /** Sends one request; a transport failure is answered as status 0 with the error's message. */
  async send(request: Request): Promise<Answer> {
    const started = performance.now();
    const headers: Record<string, string> = {};
    if (request.cookie !== undefined) headers.cookie = request.cookie;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    try {
      const response = await this.pool.request({ method: request.method, path: request.path, headers, body });
      const text = await response.body.text();
      return { status: response.statusCode, body: text, headers: response.headers, ms: performance.now() - started };
    } catch (error) {
      return {
        status: 0,
        body: error instanceof Error ? error.message : String(error),
        headers: {},
        ms: performance.now() - started,
      };
    }
  }

  /** Sends every request at once (the pool queues what its sockets cannot carry yet) and waits for all. */
  burst(requests: readonly Request[]): Promise<Answer[]> {
    return Promise.all(requests.map((request) => this.send(request)));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** A JSON body, or a clear error naming the request when the answer is not the one expected. */
export function expectJson<T>(answer: Answer, status: number, what: string): T {
  if (answer.status !== status)
    throw new Error(`${what}: expected ${status}, got ${answer.status} ${answer.body.slice(0, 300)}`);
  return JSON.parse(answer.body) as T;
}

export interface Throughput {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Answers that were not 2xx, and transport errors or timeouts. */
  non2xx: number;
  errors: number;
  bytesPerRequest: number;
}

/**
 * autocannon against one URL for `seconds`, over `connections` keep-alive connections. With `headerSets`,
 * the requests carry each set in turn (a crowd of signed-in buyers, each with their own cookie).
 */
export async function measureThroughput(
  url: string,
  options: { connections: number; seconds: number; headerSets?: Record<string, string>[] },
): Promise<Throughput> {
  const target = new URL(url);
  const result = await autocannon({
    url: target.origin,
    connections: options.connections,
    duration: options.seconds,
    requests: (options.headerSets ?? [{}]).map((headers) => ({
      method: 'GET',
      path: target.pathname + target.search,
      headers,
    })),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    bytesPerRequest: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
  };
}

/** A bare `node:http` server in a process of its own (anchor-server.ts): the anchor a figure is read against. */
export async function startAnchor(
  status: number,
  body: string,
  contentType = 'application/json; charset=utf-8',
): Promise<{ url: string; close(): Promise<void> }> {
  const orders: AnchorOrders = { status, body, contentType };
  return forkServer('anchor-server.js', orders);
}

/** Forks one of the suite's servers, sends it its orders and resolves once it listens. */
async function forkServer(
  script: string,
  orders: unknown,
): Promise<{ url: string; pid: number | undefined; close(): Promise<void> }> {
  const child = fork(path.join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(orders as object);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve(message as number));
    child.once('exit', (code) => reject(new Error(`${script} exited (code ${code}) before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

/** The gateway of the checkout `repo`, alone in a process, in front of `upstream`: the edge hop by itself. */
export function startGatewayAnchor(
  repo: string,
  upstream: string,
): Promise<{ url: string; pid: number | undefined; close(): Promise<void> }> {
  const orders: GatewayAnchorOrders = { repo, upstream };
  return forkServer('gateway-anchor.js', orders);
}

/** An edge alone in front of the bare anchor: its URL, the processes whose CPU it spends, and its stop. */
export interface EdgeAnchor {
  url: string;
  processIds(): number[];
  close(): Promise<void>;
}

/**
 * The checkout's nginx edge (infra/local/src/nginx-edge.ts), configured as the launcher would for one route `/`
 * to `upstream`, micro-cache on: the same hop as {@link startGatewayAnchor}, in nginx. A reason instead when
 * the checkout has no nginx edge (a commit from before it) or nginx is not installed and cannot be.
 */
export async function startNginxAnchor(repo: string, upstream: string, dir: string): Promise<EdgeAnchor | string> {
  let local: typeof import('@ticketing/local-stack');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    local = require(path.join(repo, 'infra', 'local', 'dist', 'index.js')) as typeof import('@ticketing/local-stack');
  } catch (error) {
    return `the checkout's launcher cannot be loaded (${String(error)})`;
  }
  if (typeof local.startNginxEdge !== 'function') return 'the checkout has no nginx edge';
  try {
    await local.ensureNginx(() => undefined);
  } catch (error) {
    return `nginx is not there (${error instanceof Error ? error.message : String(error)})`;
  }
  const edge = await local.startNginxEdge({
    dir,
    port: 0,
    routes: [{ prefix: '/', target: upstream }],
    log: () => undefined,
  });
  return {
    url: `http://127.0.0.1:${edge.port}`,
    processIds: () => edge.processIds(),
    close: async () => {
      await edge.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? 0 };
}

/** Counts of each status: `{ 201: 1000, 409: 9000 }`. */
export function statusCounts(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it is true: the time from `from` until the check that first saw it was
 * sent (a reader asking from then on sees the change; one asking a poll earlier did not), or undefined after
 * `timeoutMs`.
 */
export async function timeUntil(
  check: () => Promise<boolean>,
  options: { everyMs: number; timeoutMs: number; from?: number },
): Promise<number | undefined> {
  const from = options.from ?? performance.now();
  for (;;) {
    const asked = performance.now();
    if (await check()) return asked - from;
    if (performance.now() - from > options.timeoutMs) return undefined;
    await sleep(options.everyMs);
  }
}
