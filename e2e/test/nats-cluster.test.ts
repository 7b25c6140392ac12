import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { EventBus } from '@ticketing/common';
import { createTestLogger, waitFor } from '@ticketing/common/testing';
import { startNatsCluster, type RunningNatsCluster } from '@ticketing/local-stack';

import {
  expectStatus,
  sellTicket,
  showTicket,
  startTestStack,
  waitForReply,
  type ApiClient,
  type Order,
  type TestStack,
} from './helpers';

/**
 * NATS_CLUSTER_SIZE=3: the services on a three-node JetStream cluster (all three URLs in NATS_URL, the stream
 * with 3 replicas), and the marketplace still working with one node killed.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-nats-cluster-'));
let cluster: RunningNatsCluster;
let stack: TestStack;
let observer: EventBus;

beforeAll(async () => {
  cluster = await startNatsCluster({
    binary: '/usr/sbin/nats-server',
    dataDir,
    log: () => undefined,
    ports: 'ephemeral',
  });
  stack = await startTestStack({
    natsUrl: cluster.url,
    services: ['auth', 'tickets', 'orders'],
    // A reservation is retried through orders' 404 while ticket.created is on its way, for up to a minute.
    env: { ORDER_RATE_LIMIT_PER_MINUTE: '10000' },
  });
  observer = await EventBus.connect({
    servers: cluster.url,
    stream: stack.namespace.toUpperCase(),
    subjectPrefix: stack.namespace,
    connectionName: 'e2e-nats-cluster-observer',
    logger: createTestLogger(),
    replicas: 3,
  });
});

afterAll(async () => {
  await observer?.close();
  await stack?.destroy();
  await cluster?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Reserves `ticketId` for `buyer`, through the moments orders has not heard of it yet (404). */
async function reserve(buyer: ApiClient, ticketId: string): Promise<Order> {
  const reply = await waitForReply(() => buyer.post<Order>('/api/orders', { ticketId }), [404], 60_000);
  return expectStatus(reply, 201).body;
}

describe('the services on a three-node NATS cluster', () => {
  it('keep the stream on all three nodes, and a reservation reaches tickets', async () => {
    const info = await observer.manager.streams.info(stack.namespace.toUpperCase());
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas ?? []).toHaveLength(2);

    const ticket = await sellTicket(await stack.signUp());
    const order = await reserve(await stack.signUp(), ticket.id);
    await waitFor(async () => expect((await showTicket(await stack.signUp(), ticket.id)).status).toBe('reserved'));
    expect(order.status).toBe('created');
  });

  it("with the stream leader's node killed, a ticket listed and reserved afterwards still reaches orders and tickets", async () => {
    const leader = (await observer.manager.streams.info(stack.namespace.toUpperCase())).cluster?.leader;
    const victim = cluster.nodes.find((node) => node.name === leader) ?? cluster.nodes[0];
    await victim?.kill();
    try {
      const seller = await stack.signUp();
      const ticket = await sellTicket(seller);
      await reserve(await stack.signUp(), ticket.id);
      // A consumer whose leader was on the dead node resumes when the client misses its heartbeats (up to ~30 s).
      await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('reserved'), {
        timeoutMs: 60_000,
      });
    } finally {
      await victim?.start();
    }
  }, 150_000);
});
