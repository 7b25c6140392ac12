/**
 * The benchmarks' stack, in a process of its own as `npm start` runs it: the launcher's `startStack` with
 * every service (the web app included) behind its gateway, each service's lines through the launcher's
 * pretty printer onto this process's stdout (which the suite sends to `bench/.logs/bench.log`). The load
 * generator stays in the suite's process, so the gateway never shares an event loop with its own clients.
 *
 * Forked by bench-stack.ts with the IPC channel: it receives nothing, sends one `ready` message, and on
 * SIGTERM stops the stack, drops the namespace's databases, queue and stream, and exits.
 */
import * as path from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { RunningInfrastructure, RunningStack } from '@ticketing/local-stack';

import {
  STACK_CPU_PROFILE_DIR_VARIABLE,
  STACK_NAMESPACE_VARIABLE,
  STACK_REPLICAS_VARIABLE,
  STACK_REPO_VARIABLE,
  type FailedMessage,
  type ReadyMessage,
} from './stack-protocol';

async function main(): Promise<void> {
  const repoRoot = required(STACK_REPO_VARIABLE);
  const namespace = required(STACK_NAMESPACE_VARIABLE);
  const dataDir = path.join(repoRoot, '.data');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // The launcher of the checkout under test, not this one's: a before/after compares its gateway too.
  const { ensureInfrastructure, prefixedLineWriter, startStack } = launcherOf(repoRoot);

  const infrastructure = await ensureInfrastructure({ dataDir, log: say });
  // Set once the stack is up; a signal during the start stops only the infrastructure.
  const started: { stack?: RunningStack } = {};
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await started.stack?.stop().catch((error: unknown) => say(`stopping the stack: ${String(error)}`));
      await cleanUp(started.stack, infrastructure, namespace).catch((error: unknown) =>
        say(`cleanup: ${String(error)}`),
      );
      await infrastructure.stop();
      process.exit(0);
    })());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // The suite died without asking: do not leave a stack running.
  process.on('disconnect', () => void stop());

  const replicas = Number(process.env[STACK_REPLICAS_VARIABLE] || 1);
  const startedAt = performance.now();
  const stack = await startStack({
    // As STACK_REPLICAS=N npm start runs it (a launcher from before replicas ignores it: one of each).
    replicas,
    repoRoot,
    dataDir,
    log: say,
    infrastructure,
    ports: 'ephemeral',
    namespace,
    // The live scenario's 1,000 open pages all come from this machine, one address: as 1,000 browsers would
    // not, so the share one address may hold of a process's streams (a twentieth) is lifted here.
    env: { SSE_MAX_CLIENTS_PER_ADDRESS: '2000' },
    onServiceOutput: prefixedLineWriter(process.env.LOG_FORMAT === 'json' ? 'json' : 'pretty'),
    onUnexpectedExit: (service, exit) => say(`bench: ${service} exited unexpectedly (${exit})`),
    // A launcher from before profiles ignores it.
    cpuProfileDir: process.env[STACK_CPU_PROFILE_DIR_VARIABLE] || undefined,
    // As STACK_EDGE=nginx npm start runs it (a launcher from before the nginx edge ignores it).
    edge: edgeOf(process.env.STACK_EDGE),
  });
  started.stack = stack;
  const startMs = performance.now() - startedAt;
  const running = stack;
  const ready: ReadyMessage = {
    kind: 'ready',
    url: running.url,
    serviceUrls: Object.fromEntries(running.services.map((name) => [name, running.serviceUrl(name)])),
    processIds: Object.fromEntries([
      ...running.services.flatMap((name) =>
        // A launcher from before replicas has no instancesOf: one process a service.
        typeof running.instancesOf === 'function'
          ? running.instancesOf(name).map((instance) => [instance.name, instance.pid])
          : [[name, running.processIdOf(name)]],
      ),
      // nginx's master and workers, when nginx is the edge (the Node gateway is the launcher's own process).
      ...(running.edge === 'nginx'
        ? running.edgeProcessIds().map((pid, index) => [index === 0 ? 'nginx' : `nginx#${index}`, pid])
        : []),
    ]),
    replicas: running.replicas ?? 1,
    databaseUrl: infrastructure.databaseUrl,
    startMs,
  };
  process.send?.(ready);
}

function edgeOf(value: string | undefined): 'node' | 'nginx' | undefined {
  return value === 'node' || value === 'nginx' ? value : undefined;
}

async function cleanUp(
  stack: RunningStack | undefined,
  infrastructure: RunningInfrastructure,
  namespace: string,
): Promise<void> {
  if (stack !== undefined) {
    await stack.dropDatabases();
    await stack.dropExpirationQueue();
  }
  const connection = await connect({ servers: infrastructure.natsUrl });
  try {
    await (await jetstreamManager(connection)).streams.delete(namespace.toUpperCase()).catch(() => undefined);
  } finally {
    await connection.close();
  }
}

function launcherOf(repoRoot: string): typeof import('@ticketing/local-stack') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(repoRoot, 'infra', 'local', 'dist', 'index.js')) as typeof import('@ticketing/local-stack');
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the stack process is started by the bench suite)`);
  return value;
}

main().catch((error: unknown) => {
  const failed: FailedMessage = {
    kind: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
  process.send?.(failed);
  process.stderr.write(`${failed.message}\n`);
  process.exit(1);
});
