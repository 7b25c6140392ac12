/**
 * PostgreSQL, NATS (with JetStream) and Redis for one machine: each one reused where it answers (probes.ts),
 * else started here (servers.ts, postgres-server.ts), after its Debian package is installed when this
 * process may (debian-packages.ts). databases.ts makes and removes what a stack or a test run keeps on them.
 */
import * as path from 'node:path';

import { describeServer, LOCAL_HOSTS, parseServerUrl } from './addresses';
import { canInstallPackages, findOnPath, installDebianPackage, MissingBinaryError } from './debian-packages';
import { InfrastructureError } from './errors';
import { findPostgresBinDir, startPostgres } from './postgres-server';
import { MAX_NATS_CLUSTER_SIZE, startNatsCluster, type NatsNode } from './nats-cluster';
import { probeNats, probePostgres, probeRedis, type ProbeResult } from './probes';
import { startNats, startRedis, type ServerContext, type Stopper } from './servers';

export { deleteRedisKeys, dropDatabase, ensureDatabase } from './databases';
export { ensureDebianProgram, MissingBinaryError } from './debian-packages';
export { InfrastructureError } from './errors';
export {
  DEFAULT_NATS_CLUSTER_PORTS,
  MAX_NATS_CLUSTER_SIZE,
  startNatsCluster,
  type NatsClusterOptions,
  type NatsNode,
  type RunningNatsCluster,
} from './nats-cluster';

/** The PostgreSQL server (admin) URL used when `DATABASE_URL` is not set. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The NATS URL used when `NATS_URL` is not set. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** The Redis URL used when `REDIS_URL` is not set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** One of the three servers Ticketing needs. */
export type InfrastructureComponent = 'postgres' | 'nats' | 'redis';

/** Options of {@link ensureInfrastructure}. */
export interface EnsureInfrastructureOptions {
  /** Folder for the data of whatever gets started here (the repository's `.data/`). */
  dataDir: string;
  /** Receives one progress line per component (and a line when something is installed or stopped). */
  log: (line: string) => void;
  /** Which components to look for; each defaults to true. */
  need?: { postgres?: boolean; nats?: boolean; redis?: boolean };
  /** Where `DATABASE_URL`, `NATS_URL` and `REDIS_URL` are read from; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * NATS servers wanted (`NATS_CLUSTER_SIZE`): 1 (default) or 3. With 3, a `NATS_URL` listing three servers of
   * one JetStream cluster is reused; otherwise a cluster is started on this machine, on the ports `NATS_URL`
   * lists when it lists three local ones, else on {@link DEFAULT_NATS_CLUSTER_PORTS}.
   */
  natsClusterSize?: number;
}

/** What {@link ensureInfrastructure} found or started. */
export interface RunningInfrastructure {
  /** The PostgreSQL server (admin) URL; services get their own database on it via {@link ensureDatabase}. */
  databaseUrl: string;
  /** One URL, or a cluster's URLs comma-separated (what the services' NATS_URL takes). */
  natsUrl: string;
  /** How many NATS servers `natsUrl` names: the stream's replicas follow it (up to 3). */
  natsServers?: number;
  /** The nodes of a cluster this call started (the chaos harness kills and restarts them); else empty. */
  natsNodes?: readonly NatsNode[];
  redisUrl: string;
  /** The components this call started (and {@link RunningInfrastructure.stop} will stop). */
  started: string[];
  /** Stops what this call started, never what it reused. Idempotent. */
  stop(): Promise<void>;
}

const COMPONENTS: readonly InfrastructureComponent[] = ['postgres', 'nats', 'redis'];

interface ComponentSpec {
  envVar: string;
  defaultUrl: string;
  defaultPort: number;
  title: string;
  binary: string;
  debianPackage: string;
  probe(url: URL): Promise<ProbeResult>;
  /** The binary (for PostgreSQL: the folder of its binaries), or undefined when not installed. */
  findBinary(env: NodeJS.ProcessEnv): string | undefined;
  start(url: URL, binary: string, context: ServerContext): Promise<Stopper>;
}

const SPECS: Record<InfrastructureComponent, ComponentSpec> = {
  postgres: {
    envVar: 'DATABASE_URL',
    defaultUrl: DEFAULT_DATABASE_URL,
    defaultPort: 5432,
    title: 'PostgreSQL',
    binary: 'initdb',
    debianPackage: 'postgresql',
    probe: probePostgres,
    findBinary: (env) => findPostgresBinDir(env),
    start: startPostgres,
  },
  nats: {
    envVar: 'NATS_URL',
    defaultUrl: DEFAULT_NATS_URL,
    defaultPort: 4222,
    title: 'NATS',
    binary: 'nats-server',
    debianPackage: 'nats-server',
    probe: probeNats,
    findBinary: (env) => findOnPath('nats-server', env),
    start: startNats,
  },
  redis: {
    envVar: 'REDIS_URL',
    defaultUrl: DEFAULT_REDIS_URL,
    defaultPort: 6379,
    title: 'Redis',
    binary: 'redis-server',
    debianPackage: 'redis-server',
    probe: probeRedis,
    findBinary: (env) => findOnPath('redis-server', env),
    start: startRedis,
  },
};

/**
 * Makes PostgreSQL, NATS (with JetStream) and Redis available: reuses each one that answers at its URL
 * (`DATABASE_URL`, `NATS_URL`, `REDIS_URL`, or the local defaults); starts the missing ones when their URL
 * points at this machine, keeping their data under `dataDir`; installs a missing server's Debian package
 * when running as root with apt-get, and otherwise fails with the command that installs it.
 *
 * If one component fails, the ones this call already started are stopped before the error is thrown.
 */
export async function ensureInfrastructure(options: EnsureInfrastructureOptions): Promise<RunningInfrastructure> {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir);
  const urls: Record<InfrastructureComponent, string> = {
    postgres: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    nats: env.NATS_URL || DEFAULT_NATS_URL,
    redis: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
  const clusterSize = options.natsClusterSize ?? 1;
  if (clusterSize !== 1 && clusterSize !== MAX_NATS_CLUSTER_SIZE) {
    throw new InfrastructureError(`NATS_CLUSTER_SIZE must be 1 or ${MAX_NATS_CLUSTER_SIZE}, not ${clusterSize}`);
  }
  const wanted = COMPONENTS.filter((name) => options.need?.[name] ?? true);
  const started = new Map<InfrastructureComponent, Stopper>();
  let natsNodes: readonly NatsNode[] = [];

  // The three are independent, so they come up side by side; only apt-get is serialised (see below).
  const results = await Promise.allSettled(
    wanted.map(async (name) => {
      const context: ServerContext = {
        dataDir,
        env,
        log: (text) => options.log(`${name.padEnd(10)} ${text}`),
      };
      if (name === 'nats' && clusterSize > 1) {
        const cluster = await ensureNatsCluster(urls.nats, clusterSize, context);
        urls.nats = cluster.url;
        if (cluster.stop) started.set(name, cluster.stop);
        natsNodes = cluster.nodes;
        return;
      }
      const stop = await ensureComponent(name, urls[name], context);
      if (stop) started.set(name, stop);
    }),
  );

  const startedNames = COMPONENTS.filter((name) => started.has(name));
  const stopStarted = async (): Promise<void> => {
    // Reverse order of the list: the bus and the queue go before the database their users write to.
    const failures: unknown[] = [];
    for (const name of [...startedNames].reverse()) {
      try {
        await started.get(name)?.();
        options.log(`${name.padEnd(10)} stopped`);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  };

  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopStarted().catch(() => undefined);
    throw failure.reason;
  }

  let stopping: Promise<void> | undefined;
  return {
    databaseUrl: urls.postgres,
    natsUrl: urls.nats,
    natsServers: urls.nats.split(',').length,
    natsNodes,
    redisUrl: urls.redis,
    started: startedNames,
    stop: () => (stopping ??= stopStarted()),
  };
}

async function ensureComponent(
  name: InfrastructureComponent,
  rawUrl: string,
  context: ServerContext,
): Promise<Stopper | undefined> {
  const spec = SPECS[name];
  const url = parseServerUrl(rawUrl, spec.envVar, spec.defaultUrl);
  const where = describeServer(url, spec.defaultPort);

  const first = await spec.probe(url);
  if (first.state === 'up') {
    context.log(`reusing ${where}`);
    return undefined;
  }
  if (first.state === 'wrong') throw new InfrastructureError(first.problem);
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new InfrastructureError(
      `${spec.title} is not reachable at ${where}, which is not on this machine, so it cannot be started ` +
        `here; start it there or point ${spec.envVar} elsewhere`,
    );
  }

  let binary = spec.findBinary(context.env);
  if (binary === undefined) {
    if (!canInstallPackages(context.env)) {
      throw new MissingBinaryError(spec.binary, spec.debianPackage);
    }
    context.log(`installing the Debian package ${spec.debianPackage} (apt-get install -y ${spec.debianPackage})`);
    await installDebianPackage(spec.debianPackage, context.env);
    // Debian's maintainer scripts may start the packaged server on its default port straight away.
    if ((await spec.probe(url)).state === 'up') {
      context.log(`reusing ${where} (started by the Debian package)`);
      return undefined;
    }
    binary = spec.findBinary(context.env);
    if (binary === undefined) {
      throw new InfrastructureError(`${spec.debianPackage} was installed but ${spec.binary} is still not found`);
    }
  }
  return spec.start(url, binary, context);
}

/**
 * A JetStream cluster of `size` servers: the one `rawUrl` lists when it lists `size` servers that answer as
 * members of one cluster; otherwise one started here (on the ports of `rawUrl` when it lists `size` servers of
 * this machine with nothing listening yet, else on the default cluster ports).
 */
async function ensureNatsCluster(
  rawUrl: string,
  size: number,
  context: ServerContext,
): Promise<{ url: string; stop?: Stopper; nodes: readonly NatsNode[] }> {
  const spec = SPECS.nats;
  const urls = rawUrl
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseServerUrl(entry, spec.envVar, spec.defaultUrl));
  const probes = await Promise.all(urls.map((url) => probeNats(url)));
  if (urls.length >= size && probes.every((probe) => probe.state === 'up' && probe.cluster !== undefined)) {
    context.log(`reusing the NATS cluster at ${urls.map((url) => describeServer(url, spec.defaultPort)).join(', ')}`);
    return { url: urls.map((url) => url.toString().replace(/\/$/, '')).join(','), nodes: [] };
  }
  const ownPorts =
    urls.length === size &&
    urls.every((url) => LOCAL_HOSTS.has(url.hostname)) &&
    probes.every((probe) => probe.state === 'down')
      ? urls.map((url) => Number(url.port || spec.defaultPort))
      : undefined;
  let binary = spec.findBinary(context.env);
  if (binary === undefined) {
    if (!canInstallPackages(context.env)) throw new MissingBinaryError(spec.binary, spec.debianPackage);
    await installDebianPackage(spec.debianPackage, context.env);
    binary = spec.findBinary(context.env);
    if (binary === undefined)
      throw new InfrastructureError(`${spec.debianPackage} was installed but ${spec.binary} is still not found`);
  }
  const cluster = await startNatsCluster({
    binary,
    dataDir: context.dataDir,
    log: context.log,
    size,
    ports: ownPorts,
    env: context.env,
  });
  return { url: cluster.url, stop: () => cluster.stop(), nodes: cluster.nodes };
}
