/**
 * The whole marketplace as a value: every service, each in its own process with its own
 * database, side by side behind the gateway. `npm start` (start.ts) and the cross-service tests (e2e/) both
 * run it through {@link startStack}, so what the tests exercise is what a laptop runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';

import { createLogger, EventBus } from '@ticketing/common';

import { createGateway, type GatewayOptions, type GatewayRoute } from './gateway';
import {
  deleteRedisKeys,
  dropDatabase,
  ensureDatabase,
  MissingBinaryError,
  type RunningInfrastructure,
} from './infrastructure';
import { ensureNginx, startNginxEdge } from './nginx-edge';
import { compileIdempotentWrite } from './routing';
import { EMULATOR_WEBHOOK_SECRET } from '@ticketing/stripe-emulator';
import { formatLogLine } from './log-format';
import { findFreePort, isPortTaken } from './ports';
import { delay, describeExit, hasExited, stopChildProcess, terminateOnExit, waitForExit } from './processes';
import { DEFAULT_NAMESPACE, databaseNameOf, SERVICES, type ServiceDefinition, type ServiceName } from './services';

/** The gateway's port when neither `gatewayPort` nor ephemeral ports are asked for. */
export const DEFAULT_GATEWAY_PORT = 3000;

const READY_TIMEOUT_MS = 60_000;

/** Most processes of one service `replicas` may ask for (`STACK_REPLICAS`). */
export const MAX_REPLICAS = 4;

/**
 * How a service process that exits on its own is brought back (as a Kubernetes pod would be): after a pause
 * that doubles from `firstDelayMs` to `longestDelayMs` while it keeps crashing, reset once it has stayed up
 * `resetAfterMs`; and given up when one service (its replicas together) crashed `giveUpAfter` times within
 * `windowMs`.
 */
export interface RestartPolicy {
  firstDelayMs: number;
  longestDelayMs: number;
  resetAfterMs: number;
  giveUpAfter: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({
  firstDelayMs: 1_000,
  longestDelayMs: 30_000,
  resetAfterMs: 60_000,
  giveUpAfter: 5,
  windowMs: 60_000,
});

const RECENT_LINES = 20;
const NAMESPACE_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/** A start or restart that failed; the message says why (and which service), fit to print as is. */
export class StackError extends Error {
  override readonly name: string = 'StackError';
}

/** A process's port was taken by another process when it came to start. */
class PortInUseError extends StackError {
  constructor(
    readonly component: string,
    readonly port: number,
  ) {
    super(`${component} cannot start: port ${port} is already in use (is an earlier npm start still running?)`);
  }
}

/** {@link startStack} gave up because its `signal` was aborted (Ctrl-C during startup). */
export class StackStartAborted extends Error {
  override readonly name: string = 'StackStartAborted';
  constructor() {
    super('the stack start was aborted');
  }
}

/** Options of {@link startStack}. */
export interface StackOptions {
  /** The repository root: services are found and run from here. */
  repoRoot: string;
  /** Where the JWT and pass keys are kept when `JWT_KEY` or `PASS_SIGNING_KEY` is not given (`<repo>/.data`). */
  dataDir: string;
  /** One progress line per step: `auth       ready on http://127.0.0.1:3001 (…)`. */
  log: (line: string) => void;
  /** PostgreSQL, NATS and Redis, already ensured; the stack never stops them. */
  infrastructure: RunningInfrastructure;
  /** Each service's port (default: its registry port), or `'ephemeral'` to pick free ones. */
  ports?: Partial<Record<ServiceName, number>> | 'ephemeral';
  /** The gateway's port; 0 picks a free one. Default 3000, or 0 with ephemeral ports. */
  gatewayPort?: number;
  /**
   * Where the gateway listens (`HOST` of `npm start`). Default: the loopback addresses only, 127.0.0.1 and ::1
   * where the machine has IPv6 (`localhost` resolves to either), so the site is at http://localhost:<port> for
   * this machine and for no other. `0.0.0.0` opens it to the network (to try it from a phone). The services
   * listen on 127.0.0.1 whatever this says: only the gateway reaches them.
   */
  gatewayHost?: string;
  /**
   * Keeps one run apart from every other on the same servers: databases `<namespace>_<service>`, and when
   * given, stream `<NAMESPACE>`, subject prefix `<namespace>` and BullMQ queue `<namespace>-order-expiration`.
   * Lower case letters, digits and `_`. Default `ticketing` (databases `ticketing_auth`…, stream TICKETING).
   */
  namespace?: string;
  /**
   * Extra environment for every service, over the inherited one (e.g. `ORDER_EXPIRATION_SECONDS: '2'`,
   * `LOG_LEVEL`); an `undefined` value removes an inherited variable. `PORT`, `HOST` and `DATABASE_URL` are
   * the stack's own.
   */
  env?: Record<string, string | undefined>;
  /** The services to run; default every one. The Stripe emulator comes with payments. */
  services?: readonly ServiceName[];
  /**
   * Processes of every service (`STACK_REPLICAS` of `npm start`), 1 to {@link MAX_REPLICAS}; default 1. Each
   * has its own port (the first keeps the service's, the n-th adds 100 × (n − 1); ephemeral ports: all free
   * ones) and log prefix (`orders#2`), and the gateway balances across them. The Stripe emulator runs once.
   */
  replicas?: number;
  /**
   * Receives every line a service prints; default: readable lines prefixed with the process's name
   * (`orders`, or `orders#2` with replicas) on our stdout/stderr.
   */
  onServiceOutput?: (service: ServiceName, line: string, stream: 'stdout' | 'stderr', instance: string) => void;
  /**
   * Called when a service process that was ready exits without being asked to (after its one line and its
   * last lines are logged), before it is restarted; `instance` names the replica (`orders#2`).
   */
  onUnexpectedExit?: (service: ServiceName, exit: string, instance: string) => void;
  /**
   * Whether and how a process that exits on its own is started again ({@link RestartPolicy}). Default: restarted
   * with {@link DEFAULT_RESTART_POLICY}; `false` leaves it stopped (the caller restarts it, or not).
   */
  restart?: Partial<RestartPolicy> | false;
  /**
   * Called once when a service crashed {@link RestartPolicy.giveUpAfter} times within the window: it is no
   * longer restarted. `reason` is one line naming the process and its last exit (`npm start` stops on it).
   */
  onCrashLoop?: (service: ServiceName, reason: string) => void;
  /**
   * Where each service process writes a V8 CPU profile when it exits (`node --cpu-prof`), named after the
   * process (`orders-2.<ms>.cpuprofile`); default none. `npm run bench -- --cpu-prof` sets it.
   */
  cpuProfileDir?: string;
  /** Aborting it during startup stops what was started and rejects with {@link StackStartAborted}. */
  signal?: AbortSignal;
  /**
   * The edge (`STACK_EDGE` of `npm start`): `node`, the gateway in the launcher's process (gateway.ts), or
   * `nginx`, Debian's nginx as a child process on a configuration rendered from the same routing table
   * (nginx-edge.ts), installed with apt-get when root. Default {@link DEFAULT_EDGE}. When nginx is asked for
   * but missing and cannot be installed here, the Node gateway runs instead, said in one line.
   */
  edge?: EdgeKind;
}

/** The two local edges: the same routes, micro-cache and stream handling (routing.ts). */
export type EdgeKind = 'node' | 'nginx';

/** The edge a stack runs unless told otherwise (docs/departures.md says why). */
export const DEFAULT_EDGE: EdgeKind = 'node';

/** What {@link startStack} returns: the running marketplace. */
export interface RunningStack {
  /** The gateway: `http://localhost:<port>`. */
  readonly url: string;
  readonly gatewayPort: number;
  /** The edge running: the Node gateway, or nginx. */
  readonly edge: EdgeKind;
  /** The processes of the edge (nginx's master and workers; the launcher's own for the Node gateway). */
  edgeProcessIds(): number[];
  readonly namespace: string;
  /** The services running (or stopped on purpose with {@link RunningStack.stopService}), in start order. */
  readonly services: readonly ServiceName[];
  /** Processes per service (the Stripe emulator has one whatever this says). */
  readonly replicas: number;
  /** Each process of a service: its replica number (from 1), name, port, address and pid (while it runs). */
  instancesOf(name: ServiceName): ServiceInstance[];
  /** A service's own address, `http://127.0.0.1:<port>` (of `replica`, default the first), bypassing the gateway. */
  serviceUrl(name: ServiceName, replica?: number): string;
  /**
   * Stops a service's processes, or only `replica` (SIGTERM, then SIGKILL after the grace period); the rest
   * keep running. Stopped on purpose, they are not restarted.
   */
  stopService(name: ServiceName, replica?: number): Promise<void>;
  /**
   * Kills a service's processes, or only `replica`, at once with SIGKILL, no grace period, as an OOM kill
   * would: nothing of its shutdown runs. Not reported as an unexpected exit and not restarted (held down);
   * {@link RunningStack.startService} brings it back. (A crash the stack restarts by itself: SIGKILL the pid of
   * {@link RunningStack.processIdOf}.)
   */
  killService(name: ServiceName, replica?: number): Promise<void>;
  /** The pid of the process running a service's `replica` (default the first) now, or undefined while it is stopped. */
  processIdOf(name: ServiceName, replica?: number): number | undefined;
  /**
   * Starts a service's stopped processes (or `replica`) again, on the same ports with the same environment,
   * and waits for their /readyz; rejects when every one asked for is already running.
   */
  startService(name: ServiceName, replica?: number): Promise<void>;
  /** Stops the gateway and every service; idempotent. The infrastructure is the caller's. */
  stop(): Promise<void>;
  /** Drops every database of this namespace (for tests, after {@link RunningStack.stop}). */
  dropDatabases(): Promise<void>;
  /**
   * Deletes the Redis keys of this namespace's expiration queue (BullMQ's `bull:<queue>:*`), for tests,
   * after {@link RunningStack.stop}. Refused without a namespace: `npm start`'s queue is not for deleting.
   */
  dropExpirationQueue(): Promise<void>;
}

/** One process of a service, as {@link RunningStack.instancesOf} shows it. */
export interface ServiceInstance {
  service: ServiceName;
  /** From 1. */
  replica: number;
  /** Its log prefix: the service's name, or `orders#2` when the service runs more than once. */
  name: string;
  port: number;
  url: string;
  /** Undefined while it is stopped (or being restarted). */
  pid: number | undefined;
}

/** One process of a service of the stack (one replica) and the process currently running it, if any. */
interface Component {
  definition: ServiceDefinition;
  /** From 1. */
  replica: number;
  /** `orders`, or `orders#2` when the service runs more than once. */
  name: string;
  port: number;
  env: NodeJS.ProcessEnv;
  databaseName?: string;
  child?: ChildProcess;
  /** The last lines it printed, repeated when it dies so the cause is not lost among other services' output. */
  recentLines: string[];
  /** Set before we stop it ourselves, so its exit is not reported as a crash. */
  stopRequested: boolean;
  /** Stopped or killed on purpose through the stack's handle: not restarted until started by hand. */
  heldDown: boolean;
  /** When its current process became ready (a crash after `resetAfterMs` of that starts the backoff over). */
  readySince?: number;
  /** The pause before its next restart. */
  nextRestartDelayMs: number;
  /** A restart waiting for its pause to end. */
  restartTimer?: NodeJS.Timeout;
}

interface StackContext {
  repoRoot: string;
  log: (line: string) => void;
  output: NonNullable<StackOptions['onServiceOutput']>;
  onUnexpectedExit?: StackOptions['onUnexpectedExit'];
  onCrashLoop?: StackOptions['onCrashLoop'];
  restart: RestartPolicy | undefined;
  cpuProfileDir: string | undefined;
  /** When each service's processes crashed, within the policy's window: the crash-loop count. */
  crashes: Map<ServiceName, number[]>;
  /** Services given up on after a crash loop: never restarted again by the stack. */
  givenUp: Set<ServiceName>;
  stopping: boolean;
}

/** Pads a component name so that progress lines line up. */
export const label = (name: string): string => name.padEnd(10);

/**
 * Starts every selected service side by side, each with its own database (created when missing) and
 * environment, waits for each one's `GET /readyz`, then starts the gateway with the ingress's path rules.
 * Without `STRIPE_SECRET_KEY`, the Stripe emulator runs too, before payments, and the two are wired to each
 * other (API URL one way, webhook URL and signing secret the other).
 *
 * If anything fails, what was started is stopped before the promise rejects ({@link StackError}).
 *
 * Ephemeral ports are found free, then bound only when their process starts: another process on the machine
 * (another test file's stack) may take one in between. Then the whole start runs again on other ports, up to
 * {@link EPHEMERAL_PORT_ATTEMPTS} times; a fixed port taken is the developer's to free, and fails at once.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startStackOnce(options);
    } catch (error) {
      if (!(error instanceof PortInUseError) || options.ports !== 'ephemeral' || attempt >= EPHEMERAL_PORT_ATTEMPTS) {
        throw error;
      }
      options.log(`${label('stack')} port ${error.port} (${error.component}) was taken meanwhile: starting again`);
    }
  }
}

const EPHEMERAL_PORT_ATTEMPTS = 3;

async function startStackOnce(options: StackOptions): Promise<RunningStack> {
  const { repoRoot, log, infrastructure } = options;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new StackError(`namespace "${namespace}" must be lower case letters, digits and _, starting with a letter`);
  }
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new StackError(`replicas must be a whole number from 1 to ${MAX_REPLICAS} (STACK_REPLICAS), not ${replicas}`);
  }
  const sharedEnv = buildSharedEnv(options, namespace);
  const selected = selectServices(options, sharedEnv);
  assertBuilt(repoRoot, selected);

  const restartPolicy = options.restart === false ? undefined : { ...DEFAULT_RESTART_POLICY, ...options.restart };
  const context: StackContext = {
    repoRoot,
    log,
    output: options.onServiceOutput ?? prefixedLineWriter('pretty'),
    onUnexpectedExit: options.onUnexpectedExit,
    onCrashLoop: options.onCrashLoop,
    restart: restartPolicy,
    cpuProfileDir: options.cpuProfileDir,
    crashes: new Map(),
    givenUp: new Set(),
    stopping: false,
  };
  const instances = selected.flatMap((definition) => {
    const count = definition.single === true ? 1 : replicas;
    return Array.from({ length: count }, (_, index) => ({
      definition,
      replica: index + 1,
      name: count === 1 ? definition.name : `${definition.name}#${index + 1}`,
    }));
  });
  const ports = await resolvePorts(instances, options.ports);
  const firstPort = (name: ServiceName): number | undefined =>
    ports.get(instances.find((instance) => instance.definition.name === name && instance.replica === 1)?.name ?? '');
  const webhookSecret = sharedEnv.STRIPE_WEBHOOK_SECRET || EMULATOR_WEBHOOK_SECRET;
  const components: Component[] = instances.map(({ definition, replica, name }) => {
    const port = ports.get(name) as number;
    // 127.0.0.1: behind the gateway, a service is for this machine only (its /metrics, and X-Forwarded-For,
    // which only the gateway and the web app may set), whatever HOST the launcher itself was given.
    const env: NodeJS.ProcessEnv = { ...sharedEnv, PORT: String(port), HOST: '127.0.0.1' };
    // The inherited value would be the server's admin URL: better no database than the wrong one.
    delete env.DATABASE_URL;
    if (definition.name === 'stripe-emulator') {
      const paymentsPort = firstPort('payments');
      // With replicas, the webhook goes through the gateway (set below, once it listens), which balances it.
      if (paymentsPort !== undefined && replicas === 1) {
        env.STRIPE_WEBHOOK_URL = `http://127.0.0.1:${paymentsPort}/api/payments/webhook`;
      }
      env.STRIPE_WEBHOOK_SECRET = webhookSecret;
    }
    const emulatorPort = firstPort('stripe-emulator');
    if (definition.name === 'payments' && emulatorPort !== undefined) {
      env.STRIPE_API_URL = `http://127.0.0.1:${emulatorPort}`;
      env.STRIPE_WEBHOOK_SECRET = webhookSecret;
    }
    return {
      definition,
      replica,
      name,
      port,
      env,
      databaseName: definition.database ? databaseNameOf(definition, namespace) : undefined,
      recentLines: [],
      stopRequested: false,
      heldDown: false,
      nextRestartDelayMs: restartPolicy?.firstDelayMs ?? 0,
    };
  });

  // The gateway listens first: its routes are known from the ports, and the client's server-side fetches
  // need its address. Until a service is ready the gateway answers 502 for its paths. A route goes to every
  // replica of its service; the gateway follows each one's /readyz to keep it in or out of the balancing.
  const routes: GatewayRoute[] = selected.flatMap((definition) => {
    const targets = components
      .filter((component) => component.definition === definition)
      .map((component) => `http://127.0.0.1:${component.port}`);
    return definition.routes.map((prefix) => ({ prefix, target: targets }));
  });
  const requestedPort = options.gatewayPort ?? (options.ports === 'ephemeral' ? 0 : DEFAULT_GATEWAY_PORT);
  const edgeRules = {
    readiness: { path: '/readyz' },
    idempotentWrites: selected.flatMap((definition) => definition.idempotentWrites ?? []),
    upstreamNames: Object.fromEntries(
      components.map((component) => [`http://127.0.0.1:${component.port}`, component.name]),
    ),
  };
  const edge = await startEdge(options.edge ?? DEFAULT_EDGE, routes, edgeRules, {
    port: requestedPort,
    host: options.gatewayHost,
    dir: path.join(options.dataDir, 'nginx', namespace),
    log,
  });
  const gatewayPort = edge.port;
  const routeList = routes.map((route) => route.prefix).join(', ');
  log(
    `${label(edge.kind === 'nginx' ? 'edge' : 'gateway')} ${edge.kind === 'nginx' ? 'nginx ' : ''}listening on port ${gatewayPort}${routeList === '' ? '' : ` (${routeList})`}`,
  );
  const auth = components.find((component) => component.definition.name === 'auth' && component.replica === 1);
  for (const component of components) {
    if (component.definition.name === 'stripe-emulator' && replicas > 1 && firstPort('payments') !== undefined) {
      component.env.STRIPE_WEBHOOK_URL = `http://127.0.0.1:${gatewayPort}/api/payments/webhook`;
    }
    if (component.definition.name !== 'client') continue;
    component.env.API_URL = `http://127.0.0.1:${gatewayPort}`;
    // Calls on the visitor's session go to auth itself, as in the cluster: the web app is the one hop auth
    // trusts, and passes on the address the gateway saw (a visitor's, with HOST=0.0.0.0), not its own. Without
    // auth here, nothing inherited points elsewhere: they go through the gateway with every other call.
    if (auth) component.env.AUTH_API_URL = `http://127.0.0.1:${auth.port}`;
    else delete component.env.AUTH_API_URL;
    component.env.HOSTNAME = '127.0.0.1';
    component.env.NEXT_TELEMETRY_DISABLED = '1';
  }

  await ensureReplicatedStream(sharedEnv);

  // One failure (or the caller's abort) ends every other wait; the others give up quietly.
  const startup = new AbortController();
  const abortStartup = (): void => startup.abort();
  if (options.signal?.aborted) startup.abort();
  options.signal?.addEventListener('abort', abortStartup, { once: true });
  let firstFailure: unknown;
  const readiness = new Map<string, Promise<void>>();
  const startOne = async (component: Component): Promise<void> => {
    const started = Date.now();
    let databaseNote = '';
    if (component.databaseName !== undefined) {
      component.env.DATABASE_URL = await ensureDatabase(infrastructure.databaseUrl, component.databaseName);
      databaseNote = `database ${component.databaseName}, `;
    }
    // Payments charges through the emulator from its first request, so the emulator answers first.
    if (component.definition.name === 'payments') await readiness.get('stripe-emulator');
    throwIfAborted(startup.signal);
    await launch(component, context, startup.signal);
    log(`${label(component.name)} ready on http://127.0.0.1:${component.port} (${databaseNote}${seconds(started)})`);
  };
  for (const component of components) {
    const ready = startOne(component).catch((error: unknown) => {
      if (firstFailure === undefined && !(error instanceof StackStartAborted)) firstFailure = error;
      startup.abort();
      throw error;
    });
    ready.catch(() => undefined);
    readiness.set(component.name, ready);
  }
  await Promise.allSettled(readiness.values());

  const stopProcesses = async (): Promise<void> => {
    context.stopping = true;
    for (const component of components) clearTimeout(component.restartTimer);
    await Promise.all(components.map((component) => stopComponent(component)));
  };
  try {
    if (firstFailure !== undefined) throw firstFailure;
    throwIfAborted(startup.signal);
  } catch (error) {
    await edge.close();
    await stopProcesses();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abortStartup);
  }

  /** The processes of a service, or its one `replica`. */
  const find = (name: ServiceName, replica?: number): Component[] => {
    const found = components.filter(
      (component) => component.definition.name === name && (replica === undefined || component.replica === replica),
    );
    if (found.length === 0) {
      throw new StackError(
        components.some((component) => component.definition.name === name)
          ? `${name} has no replica ${String(replica)}`
          : `${name} is not part of this stack`,
      );
    }
    return found;
  };
  const isRunning = (component: Component): boolean => component.child !== undefined && !hasExited(component.child);
  let stopping: Promise<void> | undefined;

  return {
    url: `http://localhost:${gatewayPort}`,
    gatewayPort,
    edge: edge.kind,
    edgeProcessIds: () => edge.processIds(),
    namespace,
    services: selected.map((definition) => definition.name),
    replicas,
    instancesOf: (name) =>
      find(name).map((component) => ({
        service: name,
        replica: component.replica,
        name: component.name,
        port: component.port,
        url: `http://127.0.0.1:${component.port}`,
        pid: isRunning(component) ? component.child?.pid : undefined,
      })),
    serviceUrl: (name, replica = 1) => `http://127.0.0.1:${(find(name, replica)[0] as Component).port}`,
    async stopService(name, replica) {
      await Promise.all(
        find(name, replica).map(async (component) => {
          await stopComponent(component);
          log(`${label(component.name)} stopped`);
        }),
      );
    },
    async killService(name, replica) {
      await Promise.all(
        find(name, replica).map(async (component) => {
          clearTimeout(component.restartTimer);
          component.stopRequested = true;
          component.heldDown = true;
          const { child } = component;
          if (child === undefined || hasExited(child)) return;
          const exited = waitForExit(child);
          child.kill('SIGKILL');
          await exited;
          log(`${label(component.name)} killed (SIGKILL)`);
        }),
      );
    },
    processIdOf(name, replica = 1) {
      const component = find(name, replica)[0] as Component;
      return isRunning(component) ? component.child?.pid : undefined;
    },
    async startService(name, replica) {
      const stopped = find(name, replica).filter((component) => !isRunning(component));
      if (stopped.length === 0)
        throw new StackError(`${replica === undefined ? name : `${name}#${replica}`} is already running`);
      if (context.stopping) throw new StackError(`${name} cannot start: the stack is stopped`);
      // Started by hand after a crash loop: supervised afresh.
      context.givenUp.delete(name);
      context.crashes.delete(name);
      await Promise.all(
        stopped.map(async (component) => {
          // Started by hand: a restart the stack had scheduled is not needed any more.
          clearTimeout(component.restartTimer);
          component.restartTimer = undefined;
          component.heldDown = false;
          const started = Date.now();
          await launch(component, context);
          log(`${label(component.name)} ready on http://127.0.0.1:${component.port} (restarted, ${seconds(started)})`);
        }),
      );
    },
    stop: () =>
      (stopping ??= (async () => {
        context.stopping = true;
        // The edge first, so nothing new reaches a service that is going away.
        await edge.close();
        await stopProcesses();
      })()),
    async dropDatabases() {
      await Promise.all(
        components
          .filter((component) => component.databaseName !== undefined)
          .map((component) => dropDatabase(infrastructure.databaseUrl, component.databaseName as string)),
      );
    },
    async dropExpirationQueue() {
      const queue = options.namespace === undefined ? undefined : sharedEnv.EXPIRATION_QUEUE;
      if (queue === undefined) throw new StackError('only the queue of a namespaced stack can be dropped');
      await deleteRedisKeys(infrastructure.redisUrl, `bull:${queue}:*`);
    },
  };
}

/**
 * On a NATS cluster, creates (or raises to its replicas) the stream once, before the services start: every
 * service would otherwise ask for it at the same moment, and on a fresh cluster creating a 3-replica stream
 * can outlast the client's 5 s JetStream API timeout. Each service's EventBus.ensureStream retries such a timeout
 * and would get there too; creating it once first saves every service those retries. Each service still checks the
 * stream itself and finds it there.
 */
async function ensureReplicatedStream(env: NodeJS.ProcessEnv): Promise<void> {
  const replicas = Number(env.NATS_STREAM_REPLICAS ?? 1);
  if (replicas <= 1 || env.NATS_URL === undefined) return;
  const bus = await EventBus.connect({
    servers: env.NATS_URL,
    stream: env.NATS_STREAM ?? 'TICKETING',
    subjectPrefix: env.NATS_SUBJECT_PREFIX ?? 'ticketing',
    connectionName: 'local-stack',
    logger: createLogger({ service: 'local-stack', level: 'warn' }),
    replicas,
    connectTimeoutMs: 10_000,
  }).catch((error: unknown) => {
    throw new StackError(
      `the ${env.NATS_STREAM ?? 'TICKETING'} stream could not be made with ${replicas} replicas on ${env.NATS_URL}: ` +
        (error instanceof Error ? error.message : String(error)),
    );
  });
  await bus.close();
}

/**
 * What every service inherits: our environment, the infrastructure's URLs, the namespace's stream, prefix
 * and queue, the laptop defaults, then the caller's `env` (which wins), and a JWT key.
 */
function buildSharedEnv(options: StackOptions, namespace: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  env.NATS_URL = options.infrastructure.natsUrl;
  // A stream on a cluster keeps a copy on up to three servers (a quorum of two survives one lost); services
  // create the stream, or raise an existing one's replicas, with this (common's EventBus.ensureStream).
  const natsServers = options.infrastructure.natsServers ?? options.infrastructure.natsUrl.split(',').length;
  if (natsServers > 1) env.NATS_STREAM_REPLICAS = String(Math.min(3, natsServers));
  env.REDIS_URL = options.infrastructure.redisUrl;
  if (options.namespace !== undefined) {
    env.NATS_STREAM = namespace.toUpperCase();
    env.NATS_SUBJECT_PREFIX = namespace;
    env.EXPIRATION_QUEUE = `${namespace}-order-expiration`;
  } else {
    env.NATS_STREAM ||= 'TICKETING';
    env.NATS_SUBJECT_PREFIX ||= 'ticketing';
  }
  env.ORDER_EXPIRATION_SECONDS ||= '900';
  env.NODE_ENV ||= 'development';
  env.LOG_LEVEL ||= 'info';
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  env.JWT_KEY ||= loadKey(options.dataDir, 'jwt-key', 'hex');
  env.PASS_SIGNING_KEY ||= loadKey(options.dataDir, 'pass-signing-key', 'base64url');
  return env;
}

/** The services to run, in registry order: the ones asked for (every one by default), all known. */
function selectServices(options: StackOptions, env: NodeJS.ProcessEnv): ServiceDefinition[] {
  let wanted: readonly ServiceDefinition[] = SERVICES;
  if (options.services !== undefined) {
    const names = new Set<string>(options.services);
    for (const name of names) {
      if (!SERVICES.some((service) => service.name === name)) throw new StackError(`there is no service named ${name}`);
    }
    wanted = SERVICES.filter(
      (service) => names.has(service.name) || (service.onlyWithoutStripeKey === true && names.has('payments')),
    );
  }
  const stripeKeySet = Boolean(env.STRIPE_SECRET_KEY);
  return wanted.filter((service) => {
    if (!service.onlyWithoutStripeKey || !stripeKeySet) return true;
    options.log(`${label(service.name)} not started: STRIPE_SECRET_KEY is set, so payments talks to Stripe`);
    return false;
  });
}

function assertBuilt(repoRoot: string, services: readonly ServiceDefinition[]): void {
  const missing = services
    .map((service) => path.join(repoRoot, service.dir, service.entry))
    .filter((entry) => !fs.existsSync(entry));
  if (missing.length === 0) return;
  const names = services.filter((service) => missing.includes(path.join(repoRoot, service.dir, service.entry)));
  throw new StackError(
    names
      .map(
        (service) =>
          `${service.name} is not built: ${path.join(service.dir, service.entry)} is missing (run npm run build)`,
      )
      .join('; '),
  );
}

/**
 * Each process's port, by its name (`orders`, `orders#2`): free ones, or the service's port (given or from the
 * registry) plus 100 for each replica after the first (orders 3003, 3103, 3203…; the client's 3100 steps to
 * 3200, clear of them).
 */
async function resolvePorts(
  instances: ReadonlyArray<{ definition: ServiceDefinition; replica: number; name: string }>,
  ports: StackOptions['ports'],
): Promise<Map<string, number>> {
  const resolved = new Map<string, number>();
  const taken = new Set<number>();
  for (const { definition, replica, name } of instances) {
    let port: number;
    if (ports === 'ephemeral') {
      // The kernel may hand the same free port out twice in a row once it is closed again; ask until it differs.
      do port = await findFreePort();
      while (taken.has(port));
    } else {
      port = (ports?.[definition.name] ?? definition.port) + 100 * (replica - 1);
    }
    taken.add(port);
    resolved.set(name, port);
  }
  return resolved;
}

/**
 * The `node` flag that makes a service exit (gracefully, through its own SIGTERM handler) once the process
 * that started it, `parentPid`, is gone. Services run detached, in their own process group, so that Ctrl-C
 * reaches only the launcher; the launcher's exit hook stops them on a normal exit, but nothing runs when it
 * is SIGKILLed (a Jest worker that is force-exited, say), and they would live on, holding ports and
 * consumers. The parent's pid is written in rather than read at preload time, when the parent may already
 * be gone. A data: URL, so it needs no file on disk.
 */
export function exitWithParentFlag(parentPid: number = process.pid): string {
  const watch = [
    'const timer = setInterval(() => {',
    `  if (process.ppid === ${parentPid}) return;`,
    '  clearInterval(timer);',
    "  process.kill(process.pid, 'SIGTERM');",
    '}, 1000);',
    'timer.unref();',
  ].join('\n');
  return `--import=data:text/javascript,${encodeURIComponent(watch)}`;
}

/** Spawns the component's process and waits until its /readyz answers 200. */
async function launch(component: Component, context: StackContext, signal?: AbortSignal): Promise<void> {
  const { definition } = component;
  const cwd = path.join(context.repoRoot, definition.dir);
  // A leftover process from an earlier run would answer /readyz in place of the new one.
  if (await isPortTaken(component.port)) throw new PortInUseError(component.name, component.port);
  throwIfAborted(signal);

  const profile =
    context.cpuProfileDir === undefined
      ? []
      : [
          '--cpu-prof',
          `--cpu-prof-dir=${context.cpuProfileDir}`,
          `--cpu-prof-name=${component.name.replace('#', '-')}.${Date.now()}.cpuprofile`,
        ];
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', ...profile, exitWithParentFlag(), path.join(cwd, definition.entry)],
    {
      cwd,
      env: component.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so Ctrl-C reaches only the launcher, which stops services in order.
      detached: true,
    },
  );
  terminateOnExit(child);
  component.child = child;
  component.recentLines = [];
  component.stopRequested = false;
  pipeLines(component, child.stdout, 'stdout', context);
  pipeLines(component, child.stderr, 'stderr', context);
  child.on('error', (error) => context.log(`${label(component.name)} could not be started: ${error.message}`));

  try {
    await waitForReady(component, context, signal);
  } catch (error) {
    component.stopRequested = true;
    await stopChildProcess(child);
    throw error;
  }
  component.readySince = Date.now();
  const reportExit = (): void => {
    if (component.stopRequested || context.stopping) return;
    const exit = describeExit(child);
    if (context.restart === undefined) {
      context.log(`${label(component.name)} stopped unexpectedly (${exit})`);
      printRecentLines(component, context);
    } else {
      scheduleRestart(component, context, context.restart, `exited unexpectedly (${exit})`, exit);
    }
    context.onUnexpectedExit?.(definition.name, exit, component.name);
  };
  if (hasExited(child)) reportExit();
  else child.once('exit', reportExit);
}

/**
 * A process exited on its own: one line saying how and when it comes back, its last lines, then a restart
 * after the backoff pause; or, at the policy's crash count within its window, one line saying which service
 * gave up and why, and no more restarts of it ({@link StackOptions.onCrashLoop}).
 */
function scheduleRestart(
  component: Component,
  context: StackContext,
  policy: RestartPolicy,
  what: string,
  exit: string,
): void {
  const service = component.definition.name;
  if (context.givenUp.has(service)) return;
  const now = Date.now();
  const crashes = (context.crashes.get(service) ?? []).filter((at) => now - at < policy.windowMs);
  crashes.push(now);
  context.crashes.set(service, crashes);
  if (crashes.length >= policy.giveUpAfter) {
    context.givenUp.add(service);
    const crashed = `crashed ${crashes.length} times within ${policy.windowMs / 1000} s (last exit: ${exit})`;
    const reason = `${component.name} ${crashed}; not restarting it`;
    context.log(`${label(component.name)} ${crashed}; not restarting it`);
    printRecentLines(component, context);
    context.onCrashLoop?.(service, reason);
    return;
  }
  if (component.readySince !== undefined && now - component.readySince >= policy.resetAfterMs) {
    component.nextRestartDelayMs = policy.firstDelayMs;
  }
  const pause = component.nextRestartDelayMs;
  component.nextRestartDelayMs = Math.min(policy.longestDelayMs, pause * 2);
  component.readySince = undefined;
  context.log(
    `${label(component.name)} ${what}; restarting in ${pause / 1000} s ` +
      `(${crashes.length} of ${policy.giveUpAfter} crashes of ${service} allowed within ${policy.windowMs / 1000} s)`,
  );
  printRecentLines(component, context);
  clearTimeout(component.restartTimer);
  component.restartTimer = setTimeout(() => {
    component.restartTimer = undefined;
    void restartComponent(component, context, policy, exit);
  }, pause);
}

async function restartComponent(
  component: Component,
  context: StackContext,
  policy: RestartPolicy,
  lastExit: string,
): Promise<void> {
  // Stopped or started by hand meanwhile, or the stack is going away.
  if (context.stopping || component.heldDown || context.givenUp.has(component.definition.name)) return;
  if (component.child !== undefined && !hasExited(component.child)) return;
  const started = Date.now();
  try {
    await launch(component, context);
    context.log(
      `${label(component.name)} ready again on http://127.0.0.1:${component.port} ` +
        `(restarted after ${lastExit}, ${seconds(started)}); the gateway takes it back once its /readyz answers`,
    );
  } catch (error) {
    // (launch marks a process it gave up on as stopped on purpose: only heldDown says a person did.)
    if (context.stopping || component.heldDown) return;
    // It never became ready (it exited, or its /readyz never answered 200): that counts as a crash too.
    const reason = (error instanceof Error ? error.message : String(error)).replace(`${component.name} `, '');
    scheduleRestart(component, context, policy, `did not come back: ${reason}`, reason);
  }
}

async function stopComponent(component: Component): Promise<void> {
  clearTimeout(component.restartTimer);
  component.restartTimer = undefined;
  component.stopRequested = true;
  component.heldDown = true;
  const { child } = component;
  if (child === undefined) return;
  await stopChildProcess(child);
}

function pipeLines(
  component: Component,
  input: NodeJS.ReadableStream,
  stream: 'stdout' | 'stderr',
  context: StackContext,
): void {
  readline.createInterface({ input, crlfDelay: Infinity }).on('line', (line) => {
    component.recentLines.push(line);
    if (component.recentLines.length > RECENT_LINES) component.recentLines.shift();
    context.output(component.definition.name, line, stream, component.name);
  });
}

/**
 * The default output of services: each line prefixed with the service's name, on our stdout or stderr,
 * reshaped to a readable line (`pretty`) or kept as the service's raw JSON (`json`).
 */
export function prefixedLineWriter(format: 'pretty' | 'json'): NonNullable<StackOptions['onServiceOutput']> {
  return (service, line, stream, instance) => {
    const prefix = `${label(instance)} | `;
    const shown = format === 'json' ? line : formatLogLine(line);
    (stream === 'stdout' ? process.stdout : process.stderr).write(`${prefix}${shown.replace(/\n/g, `\n${prefix}`)}\n`);
  };
}

async function waitForReady(component: Component, context: StackContext, signal?: AbortSignal): Promise<void> {
  const { child, port } = component;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    throwIfAborted(signal);
    if (child === undefined || hasExited(child)) {
      printRecentLines(component, context);
      throw new StackError(
        `${component.name} exited (${child ? describeExit(child) : 'not started'}) before it was ready`,
      );
    }
    if ((await getStatus(`http://127.0.0.1:${port}/readyz`)) === 200) return;
    if (Date.now() > deadline) {
      printRecentLines(component, context);
      throw new StackError(
        `${component.name} was not ready within ${READY_TIMEOUT_MS / 1000} s ` +
          `(GET http://127.0.0.1:${port}/readyz never answered 200)`,
      );
    }
    await delay(100);
  }
}

function printRecentLines(component: Component, context: StackContext): void {
  if (component.recentLines.length === 0) return;
  const name = label(component.name);
  context.log(`${name} last lines:`);
  for (const line of component.recentLines) context.log(`${name} | ${line}`);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StackStartAborted();
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

/** A running edge of the stack, whichever it is. */
interface StartedEdge {
  kind: EdgeKind;
  port: number;
  processIds(): number[];
  close(): Promise<void>;
}

/**
 * Starts the edge asked for. nginx comes from its Debian package (installed here when root); where it is
 * missing and cannot be installed, or fails to start, the Node gateway takes its place, said in one line, so
 * that `npm start` works on any machine.
 */
async function startEdge(
  kind: EdgeKind,
  routes: readonly GatewayRoute[],
  rules: Required<Pick<GatewayOptions, 'readiness' | 'idempotentWrites' | 'upstreamNames'>>,
  where: { port: number; host: string | undefined; dir: string; log: (line: string) => void },
): Promise<StartedEdge> {
  const { log } = where;
  if (kind === 'nginx') {
    try {
      await ensureNginx((line) => log(`${label('edge')} ${line}`));
      const nginx = await startNginxEdge({
        dir: where.dir,
        routes,
        port: where.port,
        host: where.host,
        log,
        idempotentWrites: rules.idempotentWrites.map(compileIdempotentWrite),
        readiness: rules.readiness,
        upstreamNames: rules.upstreamNames,
      });
      return { kind, port: nginx.port, processIds: () => nginx.processIds(), close: () => nginx.stop() };
    } catch (error) {
      const why = error instanceof MissingBinaryError ? `nginx is not installed (${error.message})` : String(error);
      log(`${label('edge')} ${why}: the Node gateway takes its place`);
    }
  }
  const gateway = createGateway(routes, log, rules);
  const port = await listen(gateway, where.port, where.host, log);
  return { kind: 'node', port, processIds: () => [process.pid], close: () => closeServer(gateway) };
}

/**
 * Listens on `host`, or by default on the loopback addresses only: 127.0.0.1, and ::1 on the same port where
 * the machine has IPv6 (`localhost` may resolve to either; a browser tries both). Returns the port.
 */
async function listen(
  server: http.Server,
  port: number,
  host: string | undefined,
  log: (line: string) => void,
): Promise<number> {
  const bound = await listenOn(server, port, host ?? '127.0.0.1');
  if (host !== undefined) return bound;
  // The same gateway on ::1: its connections handed to the one HTTP server (which then tracks and closes them).
  const loopbackV6 = net.createServer((socket) => server.emit('connection', socket));
  try {
    await listenOn(loopbackV6, bound, '::1');
    server.once('close', () => loopbackV6.close());
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No IPv6 here: `localhost` is 127.0.0.1 alone.
    if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') return bound;
    log(
      `gateway    cannot listen on [::1]:${bound} (${code ?? String(error)}): use http://127.0.0.1:${bound} if localhost does not answer`,
    );
  }
  return bound;
}

function listenOn(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' && host !== '::1'
          ? new StackError(`the gateway cannot listen: port ${port} is already in use (set PORT to use another)`)
          : error,
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A random 32-byte key kept in `<dataDir>/<name>` (mode 0600), for a key the environment did not give
 * (JWT_KEY, PASS_SIGNING_KEY), so that sessions signed and passes issued before a restart stay valid after it.
 */
function loadKey(dataDir: string, name: string, encoding: 'hex' | 'base64url'): string {
  const file = path.join(dataDir, name);
  const read = (): string | undefined => {
    try {
      return fs.readFileSync(file, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const existing = read();
  if (existing !== undefined) return existing;
  const key = randomBytes(32).toString(encoding);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    // 'wx': if another launcher wrote it first, theirs wins and both use the same key.
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    const written = read();
    if (written === undefined) throw new StackError(`cannot read or create ${file}`);
    return written;
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
