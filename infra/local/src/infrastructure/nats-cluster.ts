import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { findFreePort } from '../ports';
import { delay, describeExit, hasExited, stopChildProcess, terminateOnExit, waitForExit } from '../processes';
import { displayPath } from './addresses';
import { InfrastructureError } from './errors';
import { quoteLastLogLine, STARTUP_TIMEOUT_MS } from './probes';

/** The cluster sizes `NATS_CLUSTER_SIZE` may ask for: one server, or three (a quorum that survives one loss). */
export const MAX_NATS_CLUSTER_SIZE = 3;

/**
 * The client ports of a cluster started for `npm start` when `NATS_URL` names no three servers of its own:
 * clear of a single server on 4222 that may be running beside it. Routes on 6311…, monitoring on 8311….
 */
export const DEFAULT_NATS_CLUSTER_PORTS: readonly number[] = [4311, 4312, 4313];

/** One `nats-server` of the cluster: the chaos harness's handle on it. */
export interface NatsNode {
  /** Its server name (`n1`), which JetStream's placement and `/jsz` show. */
  readonly name: string;
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The pid while it runs (for `kill -STOP`), undefined while it is stopped. */
  readonly pid: number | undefined;
  /** SIGKILLs it (a lost machine): its store stays, and {@link NatsNode.start} brings it back with it. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and store, and waits until it answers `/healthz`. */
  start(): Promise<void>;
}

/** What {@link startNatsCluster} started. */
export interface RunningNatsCluster {
  /** Every node's URL, comma-separated: what NATS_URL carries for the services. */
  readonly url: string;
  readonly nodes: readonly NatsNode[];
  /** Stops every node. Idempotent. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** The `nats-server` binary. */
  binary: string;
  /** Each node keeps its store in `<dataDir>/nats-cluster/<name>` and its log beside it. */
  dataDir: string;
  log: (text: string) => void;
  /** Default 3. */
  size?: number;
  /** The nodes' client ports, or `'ephemeral'` for free ones (routes and monitoring too). Default {@link DEFAULT_NATS_CLUSTER_PORTS}. */
  ports?: readonly number[] | 'ephemeral';
  /** Default `ticketing`. */
  clusterName?: string;
  env?: NodeJS.ProcessEnv;
}

interface NodePorts {
  client: number;
  route: number;
  monitor: number;
}

/**
 * Starts a JetStream cluster of `size` `nats-server` processes on 127.0.0.1, each with its own store, server
 * name and monitoring port, routed to each other (`--cluster`, `--routes`), and waits until every node is
 * healthy and the cluster has a JetStream meta leader: from then on a stream with 3 replicas can be created.
 * Flags rather than a config file: the Debian 2.9 server accepts every one of them, and the command line in
 * `ps` says all there is to know.
 */
export async function startNatsCluster(options: NatsClusterOptions): Promise<RunningNatsCluster> {
  const size = options.size ?? 3;
  const clusterName = options.clusterName ?? 'ticketing';
  const ports = await clusterPorts(size, options.ports ?? DEFAULT_NATS_CLUSTER_PORTS);
  const root = path.join(options.dataDir, 'nats-cluster');
  const nodes = ports.map((nodePorts, index) => {
    const name = `n${index + 1}`;
    const storeDir = path.join(root, name);
    fs.mkdirSync(storeDir, { recursive: true });
    const routes = ports
      .filter((_, other) => other !== index)
      .map((other) => `nats://127.0.0.1:${other.route}`)
      .join(',');
    const args = [
      '-js',
      '-a',
      '127.0.0.1',
      '-p',
      String(nodePorts.client),
      '-sd',
      storeDir,
      '--server_name',
      name,
      '--cluster_name',
      clusterName,
      '--cluster',
      `nats://127.0.0.1:${nodePorts.route}`,
      '--routes',
      routes,
      '-m',
      String(nodePorts.monitor),
    ];
    return new ClusterNode(name, nodePorts, args, path.join(root, `${name}.log`), options);
  });
  try {
    await Promise.all(nodes.map((node) => node.start()));
    await waitForMetaLeader(nodes);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  options.log(
    `started a ${size}-node NATS cluster "${clusterName}" on ports ${ports.map((p) => p.client).join(', ')} ` +
      `(data in ${displayPath(root)})`,
  );
  let stopping: Promise<void> | undefined;
  return {
    url: nodes.map((node) => node.url).join(','),
    nodes,
    stop: () => (stopping ??= Promise.all(nodes.map((node) => node.stop())).then(() => undefined)),
  };
}

class ClusterNode implements NatsNode {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly ports: NodePorts,
    private readonly args: readonly string[],
    readonly logFile: string,
    private readonly options: NatsClusterOptions,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  get port(): number {
    return this.ports.client;
  }

  get pid(): number | undefined {
    return this.child === undefined || hasExited(this.child) ? undefined : this.child.pid;
  }

  get monitorUrl(): string {
    return `http://127.0.0.1:${this.ports.monitor}`;
  }

  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    const logFd = fs.openSync(this.logFile, 'a');
    try {
      const child = spawn(this.options.binary, this.args, {
        env: this.options.env ?? process.env,
        stdio: ['ignore', logFd, logFd],
        detached: true,
      });
      child.on('error', () => undefined);
      terminateOnExit(child);
      this.child = child;
    } finally {
      fs.closeSync(logFd);
    }
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      const child = this.child;
      if (hasExited(child)) {
        throw new InfrastructureError(
          `nats-server ${this.name} exited (${describeExit(child)}) before it answered; ` +
            `see ${this.logFile}${quoteLastLogLine(this.logFile)}`,
        );
      }
      // /healthz answers 200 once the server is up and its JetStream is current with the cluster.
      if ((await httpGet(`${this.monitorUrl}/healthz`))?.status === 200) return;
      if (Date.now() > deadline) {
        throw new InfrastructureError(
          `nats-server ${this.name} was not healthy within ${STARTUP_TIMEOUT_MS / 1000} s; ` +
            `see ${this.logFile}${quoteLastLogLine(this.logFile)}`,
        );
      }
      await delay(100);
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || hasExited(child)) return;
    const exited = waitForExit(child);
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child !== undefined) await stopChildProcess(this.child);
  }

  /** The JetStream meta leader this node knows of, if any. */
  async metaLeader(): Promise<string | undefined> {
    const answer = await httpGet(`${this.monitorUrl}/jsz`);
    if (answer?.status !== 200) return undefined;
    try {
      const jsz = JSON.parse(answer.body) as { meta_cluster?: { leader?: string } };
      return jsz.meta_cluster?.leader || undefined;
    } catch {
      return undefined;
    }
  }
}

async function waitForMetaLeader(nodes: readonly ClusterNode[]): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const leaders = await Promise.all(nodes.map((node) => node.metaLeader()));
    if (leaders.every((leader) => leader !== undefined && leader === leaders[0])) return;
    if (Date.now() > deadline) {
      throw new InfrastructureError(
        `the NATS cluster elected no JetStream leader within ${STARTUP_TIMEOUT_MS / 1000} s ` +
          `(see ${nodes.map((node) => displayPath(node.logFile)).join(', ')})`,
      );
    }
    await delay(200);
  }
}

async function clusterPorts(size: number, ports: readonly number[] | 'ephemeral'): Promise<NodePorts[]> {
  if (ports !== 'ephemeral') {
    if (ports.length !== size) {
      throw new InfrastructureError(`a ${size}-node NATS cluster needs ${size} client ports, not ${ports.length}`);
    }
    // Routes and monitoring at fixed offsets from the client port (4311 → 6311, 8311).
    const tooHigh = ports.find((client) => client + 4000 > 65_535);
    if (tooHigh !== undefined) {
      throw new InfrastructureError(
        `NATS cluster port ${tooHigh} leaves no room for its route and monitoring ports (+2000, +4000)`,
      );
    }
    return ports.map((client) => ({ client, route: client + 2000, monitor: client + 4000 }));
  }
  const taken = new Set<number>();
  const free = async (): Promise<number> => {
    let port: number;
    do port = await findFreePort();
    while (taken.has(port));
    taken.add(port);
    return port;
  };
  const result: NodePorts[] = [];
  for (let index = 0; index < size; index += 1) {
    result.push({ client: await free(), route: await free(), monitor: await free() });
  }
  return result;
}

function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 2_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}
