/**
 * `npm start`: the whole marketplace on one machine. PostgreSQL, NATS and Redis are reused or started, every
 * service built so far runs with its own database, and the gateway serves it all at http://localhost:PORT.
 * Ctrl-C stops, in reverse order, exactly what this run started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';

import { createGateway, type GatewayRoute } from './gateway';
import { formatLogLine } from './log-format';
import { ensureDatabase, ensureInfrastructure, InfrastructureError, MissingBinaryError } from './infrastructure';
import { delay, describeExit, hasExited, stopChildProcess, terminateOnExit } from './processes';
import { findRepoRoot } from './repo-root';
import { databaseNameOf, findPresentServices, type ServiceDefinition } from './services';

const READY_TIMEOUT_MS = 60_000;
const RECENT_LINES = 20;

/** A startup failure whose message says it all; printed without a stack trace. */
class LaunchError extends Error {
  override readonly name: string = 'LaunchError';
}

/** Thrown out of the startup sequence when Ctrl-C arrives before everything is up. */
class StopRequested extends Error {}

interface RunningService {
  definition: ServiceDefinition;
  child: ChildProcess;
  /** The last lines it printed, repeated when it dies so the cause is not lost among other services' output. */
  recentLines: string[];
}

const label = (name: string): string => name.padEnd(10);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Cleanup steps, run last-in first-out: gateway, then services, then infrastructure. */
const cleanups: Array<() => Promise<void>> = [];
const services: RunningService[] = [];
let stopRequested = false;
let startupFinished = false;
let shuttingDown: Promise<void> | undefined;

async function main(): Promise<void> {
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const repoRoot = findRepoRoot();
  const dataDir = path.join(repoRoot, '.data');
  fs.mkdirSync(dataDir, { recursive: true });

  const infrastructure = await ensureInfrastructure({ dataDir, log: say });
  cleanups.push(() => infrastructure.stop());
  // Services stop together (each gets SIGTERM, then SIGKILL after 10 s), before the infrastructure they use.
  cleanups.push(async () => {
    await Promise.all(services.map((running) => stopChildProcess(running.child)));
  });
  throwIfStopRequested();

  const present = findPresentServices(repoRoot);
  const runnable = present.filter((service): service is ServiceDefinition & { entry: string } => {
    if (service.entry !== undefined) return true;
    say(`${label(service.name)} not started: its entry point is not decided yet`);
    return false;
  });

  const sharedEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: infrastructure.natsUrl,
    REDIS_URL: infrastructure.redisUrl,
    NATS_STREAM: process.env.NATS_STREAM || 'TICKETING',
    NATS_SUBJECT_PREFIX: process.env.NATS_SUBJECT_PREFIX || 'ticketing',
    JWT_KEY: loadJwtKey(dataDir),
    ORDER_EXPIRATION_SECONDS: process.env.ORDER_EXPIRATION_SECONDS || '900',
    NODE_ENV: process.env.NODE_ENV || 'development',
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
  };

  // Side by side: each service waits only for its own database and its own readiness. The first failure
  // ends the wait; the others notice the shutdown and give up quietly.
  await Promise.all(runnable.map((service) => startService(service, repoRoot, infrastructure.databaseUrl, sharedEnv)));
  throwIfStopRequested();

  const routes: GatewayRoute[] = runnable.flatMap((service) =>
    service.routes.map((prefix) => ({ prefix, target: `http://127.0.0.1:${service.port}` })),
  );
  const port = Number(process.env.PORT || 3000);
  const gateway = createGateway(routes, say);
  await listen(gateway, port);
  cleanups.push(async () => {
    gateway.closeAllConnections();
    await new Promise<void>((resolve) => gateway.close(() => resolve()));
  });
  const routeList = routes.map((route) => route.prefix).join(', ');
  say(`${label('gateway')} listening on port ${port}${routeList === '' ? '' : ` (${routeList})`}`);
  throwIfStopRequested();

  startupFinished = true;
  say(`Ticketing is up at http://localhost:${port}`);
}

async function startService(
  service: ServiceDefinition & { entry: string },
  repoRoot: string,
  adminUrl: string,
  sharedEnv: NodeJS.ProcessEnv,
): Promise<void> {
  const started = Date.now();
  const cwd = path.join(repoRoot, service.dir);
  const entry = path.join(cwd, service.entry);
  if (!fs.existsSync(entry)) {
    throw new LaunchError(
      `${service.name} is not built: ${path.relative(repoRoot, entry)} is missing (run npm run build)`,
    );
  }
  // A leftover process from an earlier run would answer /readyz in place of the new one.
  if (await isPortTaken(service.port)) {
    throw new LaunchError(
      `${service.name} cannot start: port ${service.port} is already in use (is an earlier npm start still running?)`,
    );
  }

  const env: NodeJS.ProcessEnv = { ...sharedEnv, PORT: String(service.port) };
  let databaseNote = '';
  if (service.database) {
    const name = databaseNameOf(service);
    env.DATABASE_URL = await ensureDatabase(adminUrl, name);
    databaseNote = `database ${name}, `;
  } else {
    // The inherited value would be the server's admin URL: better no database than the wrong one.
    delete env.DATABASE_URL;
  }
  throwIfStopRequested();

  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so Ctrl-C reaches only the launcher, which stops services in order.
    detached: true,
  });
  terminateOnExit(child);
  const running: RunningService = { definition: service, child, recentLines: [] };
  services.push(running);
  pipeLines(running, child.stdout, process.stdout);
  pipeLines(running, child.stderr, process.stderr);
  child.on('error', (error) => say(`${label(service.name)} could not be started: ${error.message}`));

  await waitForReady(running);
  say(`${label(service.name)} ready on http://127.0.0.1:${service.port} (${databaseNote}${seconds(started)})`);
  child.once('exit', () => {
    if (shuttingDown !== undefined) return;
    say(`${label(service.name)} stopped unexpectedly (${describeExit(child)}); stopping everything`);
    printRecentLines(running);
    void shutDown(1);
  });
}

function pipeLines(running: RunningService, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): void {
  const prefix = `${label(running.definition.name)} | `;
  readline.createInterface({ input, crlfDelay: Infinity }).on('line', (line) => {
    running.recentLines.push(line);
    if (running.recentLines.length > RECENT_LINES) running.recentLines.shift();
    const shown = process.env.LOG_FORMAT === 'json' ? line : formatLogLine(line);
    output.write(`${prefix}${shown.replace(/\n/g, `\n${prefix}`)}\n`);
  });
}

async function waitForReady(running: RunningService): Promise<void> {
  const { definition, child } = running;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    throwIfStopRequested();
    if (hasExited(child)) {
      printRecentLines(running);
      throw new LaunchError(`${definition.name} exited (${describeExit(child)}) before it was ready`);
    }
    if ((await getStatus(`http://127.0.0.1:${definition.port}/readyz`)) === 200) return;
    if (Date.now() > deadline) {
      printRecentLines(running);
      throw new LaunchError(
        `${definition.name} was not ready within ${READY_TIMEOUT_MS / 1000} s ` +
          `(GET http://127.0.0.1:${definition.port}/readyz never answered 200)`,
      );
    }
    await delay(250);
  }
}

function printRecentLines(running: RunningService): void {
  if (running.recentLines.length === 0) return;
  say(`${label(running.definition.name)} last lines:`);
  for (const line of running.recentLines) say(`${label(running.definition.name)} | ${line}`);
}

function getStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    // No keep-alive agent: a lingering socket would hold the service's shutdown.
    const request = http.get(url, { agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

function isPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LaunchError(`the gateway cannot listen: port ${port} is already in use (set PORT to use another)`)
          : error,
      );
    });
    server.listen(port, () => resolve());
  });
}

/**
 * JWT_KEY from the environment, else a random key kept in `.data/jwt-key` (mode 0600), so that sessions
 * signed before a restart stay valid after it.
 */
function loadJwtKey(dataDir: string): string {
  if (process.env.JWT_KEY) return process.env.JWT_KEY;
  const file = path.join(dataDir, 'jwt-key');
  const read = (): string | undefined => {
    try {
      return fs.readFileSync(file, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const existing = read();
  if (existing !== undefined) return existing;
  const key = randomBytes(32).toString('hex');
  try {
    // 'wx': if another launcher wrote it first, theirs wins and both use the same key.
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    const written = read();
    if (written === undefined) throw new LaunchError(`cannot read or create ${file}`);
    return written;
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** Ends a startup step early after Ctrl-C, or once a failure elsewhere has begun the shutdown. */
function throwIfStopRequested(): void {
  if (stopRequested || shuttingDown !== undefined) throw new StopRequested();
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopRequested || shuttingDown !== undefined) {
    // Second Ctrl-C: stop waiting. The exit hook still sends SIGTERM to every child.
    say(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopRequested = true;
  say('');
  say(`${signal} received: stopping`);
  // During startup, main() notices the flag at its next step and shuts down from there.
  if (startupFinished) void shutDown(0);
}

/** Runs every cleanup (each one even if an earlier one failed) and exits with `code`. */
function shutDown(code: number): Promise<void> {
  shuttingDown ??= (async () => {
    let exitCode = code;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        exitCode = 1;
        say(`error while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    process.exit(exitCode);
  })();
  return shuttingDown;
}

function describeStartupError(error: unknown): string {
  if (error instanceof MissingBinaryError) {
    return `error: ${error.binary} is not installed; install it with: ${error.message}`;
  }
  if (error instanceof InfrastructureError || error instanceof LaunchError) return `error: ${error.message}`;
  return `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

main().catch((error: unknown) => {
  if (error instanceof StopRequested) {
    void shutDown(0);
    return;
  }
  say(describeStartupError(error));
  void shutDown(1);
});
