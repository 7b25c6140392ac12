/**
 * The stack a chaos run breaks: the five services and the Stripe emulator from their builds, in a namespace
 * of their own (databases `<namespace>_<service>` on the machine's PostgreSQL), on a private `nats-server -js`
 * (or a private three-node JetStream cluster) and a private `redis-server`, each on free ports with its data
 * under `.data/<namespace>/`. Faults restart those; the machine's shared NATS and Redis (4222, 6379) are never
 * touched. With replicas, every service but the emulator runs that many processes behind the gateway.
 *
 * Restarts have one owner, the harness's {@link Supervisor}: the stack runs with `restart: false`. The
 * launcher's own crash supervision would restart the same process (two owners: "already running" on every
 * kill), and it gives a service up after 5 failed starts in a minute, which a service killed while its
 * database refuses connections for 2 minutes reaches by design; Kubernetes never gives up, nor does the
 * harness. The launcher's restarts are proven by the stack's own tests.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  ensureInfrastructure,
  findFreePort,
  startNatsCluster,
  startStack,
  type NatsNode,
  type RunningInfrastructure,
  type RunningNatsCluster,
  type RunningStack,
  type ServiceName,
} from '@ticketing/local-stack';

import type { RunLog } from './run-log';
import type { Supervisor } from './supervisor';

/** The services a run starts (payments brings the Stripe emulator); the web app is not needed. */
export const CHAOS_SERVICES: readonly ServiceName[] = ['auth', 'tickets', 'orders', 'payments', 'expiration'];

/** The services that own a database, which a fault may take away. */
export const SERVICES_WITH_DATABASE = ['auth', 'tickets', 'orders', 'payments'] as const;
export type ServiceWithDatabase = (typeof SERVICES_WITH_DATABASE)[number];

/**
 * What the services run with, unless the shell sets the variable already (then the shell wins, so a longer
 * window or another backstop interval can be tried without editing this file). A short reservation window
 * so that reservations do expire during a run, a sweep that runs often with a short grace so that "no lock
 * held past its expiry" can be checked within seconds, and reconciliation backstops that act within a run.
 * A new backstop's interval belongs here too, shortened.
 */
const CHAOS_ENVIRONMENT_DEFAULTS: Readonly<Record<string, string>> = {
  ORDER_EXPIRATION_SECONDS: '25',
  ORDER_SWEEP_INTERVAL_SECONDS: '5',
  ORDER_SWEEP_GRACE_SECONDS: '5',
  ORDER_RESTATE_INTERVAL_SECONDS: '5',
  ORDER_RESTATE_AFTER_SECONDS: '20',
  // Payments' charge backstops (settle unknown outcomes, refund cancelled orders). The emulator's search
  // has no lag, so a charge may be settled after 30 s here where real Stripe needs at least a minute.
  CHARGE_RECONCILE_INTERVAL_SECONDS: '10',
  CHARGE_SETTLE_AFTER_SECONDS: '30',
  // Every user signs up from 127.0.0.1: the per-client limit would stop the run, not an attacker.
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  LOG_LEVEL: 'info',
  NODE_ENV: 'development',
};

/**
 * Launcher lines that only the log file needs: the gateway's proxy errors while a service is down (hundreds
 * in a run), and the last lines a dead service printed (the file has every line anyway).
 */
const FILE_ONLY_LINES = /^gateway\s.* failed: |^\S+\s+(\| |last lines:)/;

/** The timings the invariants and flows need to know, as the services got them. */
export interface ServiceTimings {
  reservationSeconds: number;
  sweepIntervalSeconds: number;
  sweepGraceSeconds: number;
  /** How long after an order's last change orders restates it, and how often it looks (order.restated). */
  restateAfterSeconds: number;
  restateIntervalSeconds: number;
}

/** A NATS or Redis server of the run's own, which a fault may stop and start again on the same port and data. */
export class PrivateServer {
  private running: RunningInfrastructure | undefined;

  constructor(
    readonly component: 'nats' | 'redis',
    readonly url: string,
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    if (this.running !== undefined) return;
    const variable = this.component === 'nats' ? 'NATS_URL' : 'REDIS_URL';
    const infrastructure = await ensureInfrastructure({
      dataDir: this.dataDir,
      log: this.log,
      need: { postgres: false, nats: this.component === 'nats', redis: this.component === 'redis' },
      env: { ...process.env, [variable]: this.url },
    });
    if (!infrastructure.started.includes(this.component)) {
      // Something else answers on our port: stopping "it" would stop nothing, and the fault would be a lie.
      throw new Error(`${this.component}: ${this.url} was taken by another server before ours started`);
    }
    this.running = infrastructure;
  }

  /** SIGTERM (the server shuts down cleanly, flushing JetStream's files or Redis's append-only file). */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }
}

export interface ChaosStack {
  readonly stack: RunningStack;
  readonly namespace: string;
  /** The PostgreSQL server's admin URL (the machine's, or one the launcher started). */
  readonly adminUrl: string;
  /** The single private NATS server; undefined on a cluster (then {@link ChaosStack.natsNodes}). */
  readonly nats: PrivateServer | undefined;
  /** The private cluster's nodes (SIGKILL, SIGSTOP, start again); empty with a single server. */
  readonly natsNodes: readonly NatsNode[];
  /** What the services' NATS_URL carries: one URL, or the cluster's three comma-separated. */
  readonly natsUrl: string;
  readonly redis: PrivateServer;
  /** Processes of every service but the Stripe emulator. */
  readonly replicas: number;
  /** The JetStream stream and subject prefix of the namespace. */
  readonly streamName: string;
  readonly subjectPrefix: string;
  readonly timings: ServiceTimings;
  /** The database of a service: `<namespace>_<service>`. */
  databaseName(service: ServiceWithDatabase): string;
  databaseUrl(service: ServiceWithDatabase): string;
  /**
   * Stops the services and the private servers, then (unless `keep`) drops the namespace's databases and
   * removes `.data/<namespace>/`. Idempotent.
   */
  teardown(options: { keep: boolean }): Promise<void>;
}

export interface ChaosStackOptions {
  repoRoot: string;
  log: RunLog;
  supervisor: Supervisor;
  signal: AbortSignal;
  /** Processes of every service (default 1). */
  replicas?: number;
  /** 1 (default): one private nats-server; 3: a private three-node JetStream cluster. */
  natsNodes?: 1 | 3;
}

/** Starts PostgreSQL (reused), the private NATS and Redis, and the services, each waited for. */
export async function startChaosStack({
  repoRoot,
  log,
  supervisor,
  signal,
  replicas = 1,
  natsNodes = 1,
}: ChaosStackOptions): Promise<ChaosStack> {
  const namespace = `chaos_${randomBytes(4).toString('hex')}`;
  const sharedDataDir = path.join(repoRoot, '.data');
  const dataDir = path.join(sharedDataDir, namespace);
  fs.mkdirSync(dataDir, { recursive: true });
  const say = (line: string): void => {
    if (FILE_ONLY_LINES.test(line)) log.service('launcher', line);
    else log.say(line);
  };

  const postgres = await ensureInfrastructure({
    dataDir: sharedDataDir,
    log: say,
    need: { postgres: true, nats: false, redis: false },
  });
  const nats =
    natsNodes === 1 ? new PrivateServer('nats', `nats://127.0.0.1:${await findFreePort()}`, dataDir, say) : undefined;
  let natsCluster: RunningNatsCluster | undefined;
  const redis = new PrivateServer('redis', `redis://127.0.0.1:${await findFreePort()}`, dataDir, say);
  const environment = chaosEnvironment();

  let stack: RunningStack | undefined;
  let tornDown: Promise<void> | undefined;
  const teardown = (keep: boolean): Promise<void> =>
    (tornDown ??= (async () => {
      supervisor.close();
      await stack?.stop();
      await Promise.all([nats?.stop(), natsCluster?.stop(), redis.stop()]);
      if (!keep) {
        await stack?.dropDatabases();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      await postgres.stop();
    })());

  try {
    await Promise.all([
      nats?.start(),
      redis.start(),
      natsNodes === 1
        ? undefined
        : startNatsCluster({
            binary: natsServerBinary(),
            dataDir,
            log: say,
            size: natsNodes,
            ports: 'ephemeral',
            clusterName: namespace,
          }).then((cluster) => {
            natsCluster = cluster;
          }),
    ]);
    const natsUrl = nats?.url ?? (natsCluster as RunningNatsCluster).url;
    stack = await startStack({
      repoRoot,
      dataDir: sharedDataDir,
      log: say,
      infrastructure: { ...postgres, natsUrl, natsServers: natsNodes, redisUrl: redis.url },
      ports: 'ephemeral',
      replicas,
      // The harness's Supervisor is the one owner of restarts (see the top of this file).
      restart: false,
      namespace,
      services: CHAOS_SERVICES,
      env: environment,
      onServiceOutput: (service, line) => log.service(service, line),
      onUnexpectedExit: supervisor.onUnexpectedExit,
      signal,
    });
  } catch (error) {
    await teardown(false);
    throw error;
  }
  supervisor.attach(stack);

  const databaseName = (service: ServiceWithDatabase): string => `${namespace}_${service}`;
  const running = stack;
  return {
    stack: running,
    namespace,
    adminUrl: postgres.databaseUrl,
    nats,
    natsNodes: natsCluster?.nodes ?? [],
    natsUrl: nats?.url ?? (natsCluster as RunningNatsCluster).url,
    redis,
    replicas,
    streamName: namespace.toUpperCase(),
    subjectPrefix: namespace,
    timings: {
      reservationSeconds: Number(environment.ORDER_EXPIRATION_SECONDS),
      sweepIntervalSeconds: Number(environment.ORDER_SWEEP_INTERVAL_SECONDS),
      sweepGraceSeconds: Number(environment.ORDER_SWEEP_GRACE_SECONDS),
      restateAfterSeconds: Number(environment.ORDER_RESTATE_AFTER_SECONDS),
      restateIntervalSeconds: Number(environment.ORDER_RESTATE_INTERVAL_SECONDS),
    },
    databaseName,
    databaseUrl(service) {
      const url = new URL(postgres.databaseUrl);
      url.pathname = `/${databaseName(service)}`;
      return url.toString();
    },
    teardown: ({ keep }) => teardown(keep),
  };
}

/** The Debian `nats-server` (in /usr/sbin, often not on a user's PATH), or the first on PATH. */
function natsServerBinary(): string {
  const folders = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const folder of folders) {
    const candidate = path.join(folder, 'nats-server');
    if (folder !== '' && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('nats-server is not installed (Debian: apt-get install nats-server); a cluster needs it');
}

/** The defaults above under whatever the shell sets; never a real Stripe key, whatever the shell holds. */
function chaosEnvironment(): Record<string, string | undefined> {
  const environment: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(CHAOS_ENVIRONMENT_DEFAULTS))
    environment[name] = process.env[name] || value;
  environment.STRIPE_SECRET_KEY = undefined;
  environment.STRIPE_WEBHOOK_SECRET = undefined;
  return environment;
}
