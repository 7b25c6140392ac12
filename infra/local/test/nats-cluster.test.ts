import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { EventBus } from '@ticketing/common';
import { createTestLogger, recordEvents, waitFor } from '@ticketing/common/testing';

import { ensureInfrastructure, startNatsCluster, type RunningNatsCluster } from '../src/infrastructure';
import { findOnPath } from '../src/infrastructure/debian-packages';
import { findFreePort, isPortTaken } from '../src/ports';

/**
 * NATS_CLUSTER_SIZE=3: three `nats-server` processes in one JetStream cluster, the stream kept on all three,
 * and events still published and consumed with one node gone. Real servers on free ports, each with a store
 * of its own under a temporary data folder.
 */
const binary = findOnPath('nats-server', process.env) ?? '/usr/sbin/nats-server';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-test-'));
const clusters: RunningNatsCluster[] = [];
const buses: EventBus[] = [];

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close().catch(() => undefined)));
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

async function connect(servers: string, prefix: string): Promise<EventBus> {
  const bus = await EventBus.connect({
    servers,
    stream: prefix.toUpperCase(),
    subjectPrefix: prefix,
    connectionName: `test-${prefix}`,
    logger: createTestLogger(),
    replicas: 3,
    connectTimeoutMs: 10_000,
  });
  buses.push(bus);
  return bus;
}

/**
 * A free client port whose route and monitoring ports (+2000, +4000, as the launcher derives them) are free and
 * in range too: any free port alone may leave them taken by another test's servers.
 */
async function findClusterPort(): Promise<number> {
  for (;;) {
    const port = await findFreePort();
    if (port + 4000 > 65_535) continue;
    if (!(await isPortTaken(port + 2000)) && !(await isPortTaken(port + 4000))) return port;
  }
}

function user(email: string) {
  return { id: randomUUID(), email, version: 0 };
}

describe('a three-node NATS cluster', () => {
  it('starts three servers of one JetStream cluster; the stream has 3 replicas; events published through it are consumed, and still are with one node killed', async () => {
    const lines: string[] = [];
    const cluster = await startNatsCluster({
      binary,
      dataDir: path.join(dataDir, 'a'),
      log: (line) => lines.push(line),
      ports: 'ephemeral',
    });
    clusters.push(cluster);
    expect(cluster.nodes.map((node) => node.name)).toEqual(['n1', 'n2', 'n3']);
    expect(cluster.url.split(',')).toHaveLength(3);
    expect(cluster.nodes.every((node) => node.pid !== undefined)).toBe(true);
    expect(lines).toContainEqual(expect.stringMatching(/^started a 3-node NATS cluster "ticketing" on ports /));

    const prefix = `clustertest_${randomBytes(4).toString('hex')}`;
    const bus = await connect(cluster.url, prefix);
    const info = await bus.manager.streams.info(prefix.toUpperCase());
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas ?? []).toHaveLength(2);

    const recorder = await recordEvents(bus, 'user.created');
    const before = await bus.publish('user.created', user('before@example.com'));
    await waitFor(() => expect(recorder.events.map((event) => event.id)).toContain(before.id));

    // The node the stream's leader is on, the harder case: the other two elect a new one.
    const leader = (await bus.manager.streams.info(prefix.toUpperCase())).cluster?.leader;
    const victim = cluster.nodes.find((node) => node.name === leader) ?? cluster.nodes[0];
    await victim?.kill();
    expect(victim?.pid).toBeUndefined();

    const after = await waitForPublish(bus, user('after@example.com'));
    // A pull parked on a consumer leader that died is noticed by the client's missed heartbeats (the bus pulls
    // with a 5 s expiry and a 2.5 s heartbeat), after the consumer's new leader is elected (4–9 s): late, never lost.
    await waitFor(() => expect(recorder.events.map((event) => event.id)).toContain(after), { timeoutMs: 30_000 });

    await victim?.start();
    expect(victim?.pid).toBeDefined();
    await recorder.stop();
  }, 120_000);

  it('when the node a service is connected to stops answering (SIGSTOP), then its publishes go through another node within a few pings', async () => {
    const cluster = clusters[0] as RunningNatsCluster;
    const bus = await connect(cluster.url, `clustertest_${randomBytes(4).toString('hex')}`);
    const recorder = await recordEvents(bus, 'user.created');
    const server = bus.connection.getServer();
    const paused = cluster.nodes.find((node) => server.endsWith(`:${node.port}`));
    expect(paused?.pid).toBeDefined();
    process.kill(paused?.pid as number, 'SIGSTOP');
    try {
      // Without client pings the connection to a frozen server looks alive for 2 minutes, and every publish
      // times out meanwhile: waitFor's 40 s would run out.
      const event = await waitFor(() => bus.publish('user.created', user('paused@example.com')), { timeoutMs: 40_000 });
      await waitFor(() => expect(recorder.events.map((seen) => seen.id)).toContain(event.id), { timeoutMs: 30_000 });
      expect(bus.connection.getServer()).not.toBe(server);
    } finally {
      process.kill(paused?.pid as number, 'SIGCONT');
      await recorder.stop();
      // The resumed node catches up; the cluster answers JetStream requests again before the next test uses it.
      await waitFor(() => bus.manager.getAccountInfo(), { timeoutMs: 30_000 });
    }
  }, 120_000);

  it('with NATS_CLUSTER_SIZE 3, ensureInfrastructure reuses a NATS_URL that lists the servers of one cluster', async () => {
    const cluster = await startNatsCluster({
      binary,
      dataDir: path.join(dataDir, 'b'),
      log: () => undefined,
      ports: 'ephemeral',
    });
    clusters.push(cluster);
    const lines: string[] = [];

    const infrastructure = await ensureInfrastructure({
      dataDir: path.join(dataDir, 'b'),
      log: (line) => lines.push(line),
      need: { postgres: false, redis: false },
      env: { ...process.env, NATS_URL: cluster.url },
      natsClusterSize: 3,
    });

    expect(infrastructure.natsUrl.split(',')).toHaveLength(3);
    expect(infrastructure.natsServers).toBe(3);
    expect(infrastructure.started).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^nats {7}reusing the NATS cluster at /));
  });

  it('with NATS_CLUSTER_SIZE 3 and a NATS_URL listing three free local ports, ensureInfrastructure starts a cluster there and stops it again', async () => {
    const ports = [await findClusterPort(), await findClusterPort(), await findClusterPort()];
    const lines: string[] = [];

    const infrastructure = await ensureInfrastructure({
      dataDir: path.join(dataDir, 'c'),
      log: (line) => lines.push(line),
      need: { postgres: false, redis: false },
      env: { ...process.env, NATS_URL: ports.map((port) => `nats://127.0.0.1:${port}`).join(',') },
      natsClusterSize: 3,
    });
    try {
      expect(infrastructure.started).toEqual(['nats']);
      expect(infrastructure.natsNodes?.map((node) => node.port)).toEqual(ports);
      expect(infrastructure.natsUrl).toBe(ports.map((port) => `nats://127.0.0.1:${port}`).join(','));
      const bus = await connect(infrastructure.natsUrl, `clustertest_${randomBytes(4).toString('hex')}`);
      expect((await bus.manager.streams.info(bus.options.stream)).config.num_replicas).toBe(3);
      await bus.close();
    } finally {
      await infrastructure.stop();
    }
    expect(infrastructure.natsNodes?.every((node) => node.pid === undefined)).toBe(true);
  });

  it('when the stream already exists with 1 replica, then a service connecting with 3 raises it to 3', async () => {
    const cluster = clusters[0] as RunningNatsCluster;
    const prefix = `clustertest_${randomBytes(4).toString('hex')}`;
    const single = await EventBus.connect({
      servers: cluster.url,
      stream: prefix.toUpperCase(),
      subjectPrefix: prefix,
      connectionName: `test-${prefix}`,
      logger: createTestLogger(),
      replicas: 1,
    });
    buses.push(single);
    expect((await single.manager.streams.info(prefix.toUpperCase())).config.num_replicas).toBe(1);

    const bus = await connect(cluster.url, prefix);

    await waitFor(async () => {
      const info = await bus.manager.streams.info(prefix.toUpperCase());
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas ?? []).toHaveLength(2);
    });
  });

  it('refuses a cluster size other than 1 or 3', async () => {
    await expect(
      ensureInfrastructure({
        dataDir,
        log: () => undefined,
        need: { postgres: false, redis: false },
        natsClusterSize: 2,
      }),
    ).rejects.toThrow('NATS_CLUSTER_SIZE must be 1 or 3, not 2');
  });
});

/** Publishes once the cluster has a stream leader again (a publish in the election gap fails; a client retries). */
async function waitForPublish(bus: EventBus, data: ReturnType<typeof user>): Promise<string> {
  const deadline = Date.now() + 20_000;
  const id = randomUUID();
  for (;;) {
    try {
      return (await bus.publish('user.created', data, { id })).id;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
