/**
 * The local edge as nginx (Debian's package, found or installed like PostgreSQL: debian-packages.ts), run by
 * the launcher as a child process in the foreground with its own prefix, pid, logs, temp files and cache under
 * the data folder, on a configuration rendered from the routing table (nginx-config.ts). nginx has no active
 * health checks (outside nginx Plus), so the launcher follows each replica's `/readyz` as the gateway does and
 * reloads nginx (SIGHUP) with the replicas that fail it marked `down`.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { ensureDebianProgram } from './infrastructure';
import { waitUntilUp, type ProbeResult } from './infrastructure/probes';
import { renderNginxConfig, type NginxUpstream } from './nginx-config';
import { findFreePort } from './ports';
import { getStatus } from './gateway';
import { hasExited, spawnServer, stopChildProcess } from './processes';
import type { IdempotentWrite } from './routing';

/** Where Debian's `nginx` package puts the server. */
export const NGINX_BINARY = '/usr/sbin/nginx';
export const NGINX_DEBIAN_PACKAGE = 'nginx';

/** Makes sure nginx is there: installed with apt-get when root (said in one line), else the command to run. */
export function ensureNginx(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return ensureDebianProgram(NGINX_BINARY, NGINX_DEBIAN_PACKAGE, log, env).then(() => NGINX_BINARY);
}

/** One prefix rule: like the gateway's (gateway.ts), to one origin or a service's replicas. */
export interface NginxEdgeRoute {
  prefix: string;
  target: string | readonly string[];
}

/** Options of {@link startNginxEdge}. */
export interface NginxEdgeOptions {
  /** nginx's folder (configuration, pid, logs, temp files, cache); made if missing. */
  dir: string;
  routes: readonly NginxEdgeRoute[];
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Where to listen: default the loopback addresses, 127.0.0.1 and ::1 (when this machine has it). */
  host?: string;
  log: (line: string) => void;
  /** The writes services mark idempotent (routing.ts). */
  idempotentWrites?: readonly IdempotentWrite[];
  /** The micro-cache; default on. */
  cache?: boolean;
  /** Follows each upstream's readiness (`GET <origin><path>` every `intervalMs`), as the gateway's option. */
  readiness?: { path?: string; intervalMs?: number };
  /** Names for upstream origins in log lines (`orders#2`). */
  upstreamNames?: Readonly<Record<string, string>>;
  /** The nginx binary; default {@link NGINX_BINARY}. */
  binary?: string;
  workers?: number;
  env?: NodeJS.ProcessEnv;
}

/** A running nginx edge. */
export interface RunningNginxEdge {
  readonly port: number;
  /** The master's process id. */
  readonly pid: number;
  /** The master and its workers, for CPU accounting (the workers change at every reload). */
  processIds(): number[];
  /**
   * Stops nginx (SIGTERM: connections are closed at once) and the readiness polling, and removes its temp files
   * and cache (the configuration and logs stay, for a look after the fact); idempotent.
   */
  stop(): Promise<void>;
}

/** Starts nginx on the rendered configuration and resolves once it answers its `/healthz`. */
export async function startNginxEdge(options: NginxEdgeOptions): Promise<RunningNginxEdge> {
  const dir = path.resolve(options.dir);
  for (const sub of ['temp', 'cache']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const port = options.port === 0 ? await findFreePort() : options.port;
  const listen =
    options.host === undefined
      ? [`127.0.0.1:${port}`, ...((await canListenOnIpv6Loopback()) ? [`[::1]:${port}`] : [])]
      : [`${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`];

  // One upstream per set of origins (tickets answers two prefixes with one pool), named for its first replica.
  const origins = (target: string | readonly string[]) =>
    (typeof target === 'string' ? [target] : [...target]).map((origin) => new URL(origin).origin);
  const upstreams = new Map<string, { name: string; origins: string[] }>();
  const routes = options.routes.map((route) => {
    const list = origins(route.target);
    const key = list.join(' ');
    let upstream = upstreams.get(key);
    if (upstream === undefined) {
      const base = (options.upstreamNames?.[list[0] ?? ''] ?? 'upstream').replace(/#\d+$/, '');
      upstream = { name: `${base.replace(/[^A-Za-z0-9]/g, '_')}_${upstreams.size + 1}`, origins: list };
      upstreams.set(key, upstream);
    }
    return { prefix: route.prefix, upstream: upstream.name };
  });
  const out = new Set<string>();
  const render = () =>
    renderNginxConfig({
      dir,
      listen,
      routes,
      upstreams: [...upstreams.values()].map((upstream): NginxUpstream => ({
        name: upstream.name,
        servers: upstream.origins.map((origin) => ({ origin, down: out.has(origin) })),
      })),
      idempotentWrites: options.idempotentWrites ?? [],
      cache: options.cache,
      workers: options.workers,
      runAsRoot: process.getuid?.() === 0,
    });
  const configFile = path.join(dir, 'nginx.conf');
  let rendered = render();
  fs.writeFileSync(configFile, rendered);

  const binary = options.binary ?? NGINX_BINARY;
  const logFile = path.join(dir, 'nginx.log');
  const child = spawnServer(binary, ['-p', dir, '-c', configFile, '-e', path.join(dir, 'error.log')], logFile, {
    env: options.env,
  });
  try {
    await waitUntilUp(
      async (): Promise<ProbeResult> =>
        (await getStatus(`http://127.0.0.1:${port}/healthz`, 1_000)) === 200 ? { state: 'up' } : { state: 'down' },
      'nginx',
      logFile,
      child,
    );
  } catch (error) {
    await stopChildProcess(child);
    throw error;
  }

  const names = options.upstreamNames ?? {};
  const follower =
    options.readiness === undefined
      ? undefined
      : followReadiness(
          [...new Set([...upstreams.values()].flatMap((upstream) => upstream.origins))],
          options.readiness.path ?? '/readyz',
          options.readiness.intervalMs ?? 1_000,
          (origin, isIn, how) => {
            if (isIn) out.delete(origin);
            else out.add(origin);
            const name = names[origin] ?? origin;
            if (how !== undefined)
              options.log(`edge       ${name} ${isIn ? 'back in' : 'out of the balancing'}: ${how}`);
          },
          () => {
            // A reload closes every idle client connection (a request racing the close is lost), so only a
            // change nginx would see is worth one: a lone replica, or every replica out, renders the same.
            const next = render();
            if (hasExited(child) || next === rendered) return;
            rendered = next;
            fs.writeFileSync(configFile, rendered);
            child.kill('SIGHUP');
          },
        );

  let stopping: Promise<void> | undefined;
  return {
    port,
    pid: child.pid as number,
    processIds: () => [child.pid as number, ...childrenOf(child.pid as number)],
    stop: () =>
      (stopping ??= (async () => {
        follower?.stop();
        await stopChildProcess(child);
        for (const sub of ['temp', 'cache']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
      })()),
  };
}

/**
 * Polls every origin's readiness; `change` is told each move in or out of the balancing (with a reason to log,
 * or none before the origin was first seen ready: a start is not news), then `apply` once per round that moved.
 */
function followReadiness(
  origins: readonly string[],
  readyPath: string,
  intervalMs: number,
  change: (origin: string, isIn: boolean, how: string | undefined) => void,
  apply: () => void,
): { stop(): void } {
  const ready = new Map(origins.map((origin) => [origin, true]));
  const seenReady = new Set<string>();
  let polling = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void Promise.all(
      origins.map(async (origin) => ({ origin, status: await getStatus(`${origin}${readyPath}`, intervalMs * 2) })),
    ).then((answers) => {
      polling = false;
      if (stopped) return;
      let moved = false;
      for (const { origin, status } of answers) {
        const isIn = status === 200;
        const known = seenReady.has(origin);
        if (isIn) seenReady.add(origin);
        if (ready.get(origin) === isIn) continue;
        ready.set(origin, isIn);
        moved = true;
        const how = isIn
          ? `${readyPath} answered 200`
          : `${readyPath} ${status === undefined ? 'no answer' : `answered ${status}`}`;
        change(origin, isIn, known ? how : undefined);
      }
      if (moved) apply();
    });
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Process ids whose parent is `pid` (nginx's workers and cache manager), read from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Whether ::1 can be bound here (a container without IPv6 has no ::1, and nginx would refuse to start). */
function canListenOnIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}
