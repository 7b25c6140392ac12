/**
 * `npm start`: the whole marketplace on one machine. PostgreSQL, NATS and Redis are reused or started, every
 * service runs with its own database, and the gateway serves it all at http://localhost:PORT.
 * Ctrl-C stops, in reverse order, exactly what this run started.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ensureInfrastructure, InfrastructureError, MAX_NATS_CLUSTER_SIZE, MissingBinaryError } from './infrastructure';
import { findRepoRoot } from './repo-root';
import {
  DEFAULT_GATEWAY_PORT,
  MAX_REPLICAS,
  prefixedLineWriter,
  StackError,
  type EdgeKind,
  StackStartAborted,
  startStack,
} from './stack';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Thrown out of the startup sequence when Ctrl-C arrives before everything is up. */
class StopRequested extends Error {}

/** Cleanup steps, run last-in first-out: the stack (gateway, then services), then infrastructure. */
const cleanups: Array<() => Promise<void>> = [];
/** Aborted by Ctrl-C during startup, so that the stack stops waiting for services at once. */
const startup = new AbortController();
let stopRequested = false;
let startupFinished = false;
let shuttingDown: Promise<void> | undefined;

/** `STACK_EDGE`: `node` or `nginx`; unset, the stack's default. */
function edgeSetting(): EdgeKind | undefined {
  const value = process.env.STACK_EDGE?.trim();
  if (value === undefined || value === '') return undefined;
  if (value !== 'node' && value !== 'nginx') throw new StackError(`STACK_EDGE must be node or nginx, not "${value}"`);
  return value;
}

async function main(): Promise<void> {
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const repoRoot = findRepoRoot();
  const dataDir = path.join(repoRoot, '.data');
  fs.mkdirSync(dataDir, { recursive: true });

  const replicas = wholeNumberSetting('STACK_REPLICAS', 1, MAX_REPLICAS);
  const natsClusterSize = wholeNumberSetting('NATS_CLUSTER_SIZE', 1, MAX_NATS_CLUSTER_SIZE);
  const edge = edgeSetting();
  const infrastructure = await ensureInfrastructure({ dataDir, log: say, natsClusterSize });
  cleanups.push(() => infrastructure.stop());
  throwIfStopRequested();

  // ORDER_EXPIRATION_SECONDS, LOG_LEVEL, JWT_KEY and the rest reach the services through our environment.
  const port = Number(process.env.PORT || DEFAULT_GATEWAY_PORT);
  const stack = await startStack({
    repoRoot,
    dataDir,
    log: say,
    infrastructure,
    gatewayPort: port,
    // Unset: this machine only (127.0.0.1 and ::1). The services listen on 127.0.0.1 whatever it says.
    gatewayHost: process.env.HOST || undefined,
    signal: startup.signal,
    replicas,
    edge,
    onServiceOutput: prefixedLineWriter(process.env.LOG_FORMAT === 'json' ? 'json' : 'pretty'),
    // A process that exits on its own is restarted by the stack, with backoff, as a pod would be; only a
    // service stuck crashing (5 times within a minute) stops everything, after the stack's one line on why.
    onCrashLoop: (service) => {
      if (shuttingDown !== undefined) return;
      say(`stopping everything: ${service} keeps crashing`);
      void shutDown(1);
    },
  });
  cleanups.push(() => stack.stop());
  throwIfStopRequested();

  startupFinished = true;
  say(`Ticketing is up at http://localhost:${stack.gatewayPort}`);
}

/** A whole-number setting from the environment, `fallback` when unset; anything outside `min`..`max` stops the start. */
function wholeNumberSetting(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new StackError(`${name} must be a whole number from 1 to ${max}, not "${raw}"`);
  }
  return value;
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
  // During startup, main() notices at its next step (the stack at once) and shuts down from there.
  if (startupFinished) void shutDown(0);
  else startup.abort();
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
  if (error instanceof InfrastructureError || error instanceof StackError) return `error: ${error.message}`;
  return `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

main().catch((error: unknown) => {
  if (error instanceof StopRequested || error instanceof StackStartAborted) {
    void shutDown(0);
    return;
  }
  say(describeStartupError(error));
  void shutDown(1);
});
