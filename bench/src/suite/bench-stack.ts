/**
 * The suite's side of the stack process (stack-process.ts): forks it with the namespace and environment of
 * a run, sends its output to the run's log file, and waits for its `ready` message.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ServiceName } from '@ticketing/local-stack';
import { Pool, type QueryResultRow } from 'pg';

import {
  STACK_CPU_PROFILE_DIR_VARIABLE,
  STACK_NAMESPACE_VARIABLE,
  STACK_REPLICAS_VARIABLE,
  STACK_REPO_VARIABLE,
  type FailedMessage,
  type ReadyMessage,
} from './stack-protocol';

/** Services with a database of their own, which scenarios read to check what the answers claimed. */
export type DatabaseService = 'auth' | 'tickets' | 'orders' | 'payments';

export interface BenchStack {
  readonly url: string;
  readonly namespace: string;
  /** The checkout whose services (and launcher, and gateway) run. */
  readonly repo: string;
  readonly startMs: number;
  /** The stack process: the launcher and its gateway. */
  readonly processId: number | undefined;
  /** Processes of every service behind the gateway. */
  readonly replicas: number;
  /** A service's own address (its first replica's). */
  serviceUrl(name: ServiceName): string;
  /** Every process by its name (`orders`, or `orders#2` with replicas), for its CPU and memory. */
  processIds(): Record<string, number | undefined>;
  query<Row extends QueryResultRow>(service: DatabaseService, text: string, values?: unknown[]): Promise<Row[]>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  repo: string;
  namespace: string;
  logFile: string;
  /** Over the suite's own environment (which the stack inherits, as `npm start` inherits the shell's). */
  env: Record<string, string>;
  /** Processes of every service (`STACK_REPLICAS`); default the shell's, else 1. */
  replicas?: number;
  /** Where every process (the gateway's included) writes a CPU profile when the stack stops; default none. */
  cpuProfileDir?: string;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'w');
  const child = fork(path.join(__dirname, 'stack-process.js'), [], {
    env: {
      ...process.env,
      ...options.env,
      [STACK_REPO_VARIABLE]: options.repo,
      [STACK_NAMESPACE_VARIABLE]: options.namespace,
      ...(options.replicas !== undefined && { [STACK_REPLICAS_VARIABLE]: String(options.replicas) }),
      ...(options.cpuProfileDir !== undefined && { [STACK_CPU_PROFILE_DIR_VARIABLE]: options.cpuProfileDir }),
    },
    stdio: ['ignore', log, log, 'ipc'],
    execArgv: [
      '--enable-source-maps',
      ...(options.cpuProfileDir === undefined
        ? []
        : [
            '--cpu-prof',
            `--cpu-prof-dir=${options.cpuProfileDir}`,
            `--cpu-prof-name=gateway.${Date.now()}.cpuprofile`,
          ]),
    ],
  });
  fs.closeSync(log);
  const ready = await waitForReady(child, options.logFile);
  const pools = new Map<DatabaseService, Pool>();
  const poolOf = (service: DatabaseService) => {
    let pool = pools.get(service);
    if (pool === undefined) {
      const url = new URL(ready.databaseUrl);
      url.pathname = `/${options.namespace}_${service}`;
      pool = new Pool({ connectionString: url.toString(), max: 2 });
      pools.set(service, pool);
    }
    return pool;
  };
  return {
    url: ready.url,
    namespace: options.namespace,
    repo: options.repo,
    startMs: ready.startMs,
    replicas: ready.replicas,
    processId: child.pid,
    serviceUrl(name) {
      const url = ready.serviceUrls[name];
      if (url === undefined) throw new Error(`${name} is not running in the bench stack`);
      return url;
    },
    processIds: () => ready.processIds,
    async query<Row extends QueryResultRow>(service: DatabaseService, text: string, values: unknown[] = []) {
      return (await poolOf(service).query<Row>(text, values)).rows;
    },
    async stop() {
      await Promise.all([...pools.values()].map((pool) => pool.end()));
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function waitForReady(child: ChildProcess, logFile: string): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    child.on('message', (message: ReadyMessage | FailedMessage) => {
      if (message.kind === 'ready') resolve(message);
      else reject(new Error(`the stack did not start (see ${logFile}):\n${message.message}`));
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`the stack process exited (${signal ?? `code ${code}`}) before it was ready; see ${logFile}`)),
    );
  });
}
