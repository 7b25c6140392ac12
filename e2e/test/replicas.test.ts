import {
  ApiClient,
  buyTicket,
  expectStatus,
  sellTicket,
  startTestStack,
  waitForReply,
  type Order,
  type Reply,
  type TestStack,
} from './helpers';

/**
 * Two processes of every service (STACK_REPLICAS=2): what a page or a buyer sees must not depend on which
 * replica answered. Replicas are driven directly by port (`serviceUrl(name, replica)`) so that A and B are
 * explicit, not left to the gateway's balancing.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ replicas: 2, env: { MAX_LIVE_ORDERS_PER_BUYER: '2' } });
});

afterAll(async () => {
  await stack?.destroy();
});

/** POSTs as `client` (its session cookie) straight to one replica of a service, bypassing the gateway. */
async function postTo(
  client: ApiClient,
  service: 'orders' | 'tickets',
  replica: number,
  path: string,
  body: unknown,
): Promise<Reply<Order>> {
  const direct = new ApiClient(stack.serviceUrl(service, replica), client.email);
  return direct.request<Order>('POST', path, body, { cookie: client.cookieHeader() ?? '' });
}

/** Opens a ticket's event stream on one tickets replica and collects the statuses it reports. */
async function watchTicket(replica: number, ticketId: string): Promise<{ statuses: string[]; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${stack.serviceUrl('tickets', replica)}/api/tickets/${ticketId}/stream`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const statuses: string[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffered += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = event
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('\n');
          if (data !== '') statuses.push((JSON.parse(data) as { status: string }).status);
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return { statuses, close: () => controller.abort() };
}

async function waitUntil(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('two replicas of every service', () => {
  it('runs two processes of each service, on ports of their own', () => {
    for (const service of ['auth', 'tickets', 'orders', 'payments', 'expiration'] as const) {
      const instances = stack.instancesOf(service);
      expect(instances.map((instance) => instance.name)).toEqual([`${service}#1`, `${service}#2`]);
      expect(instances.every((instance) => instance.pid !== undefined)).toBe(true);
    }
  });

  it("a ticket page's stream open on either tickets replica sees a reservation made through the other orders replica", async () => {
    const seller = await stack.signUp();
    const buyer = await stack.signUp();
    const ticket = await sellTicket(seller);
    const onFirst = await watchTicket(1, ticket.id);
    const onSecond = await watchTicket(2, ticket.id);
    try {
      await waitUntil(() => onFirst.statuses.length > 0 && onSecond.statuses.length > 0);

      const reserved = await waitForReply(
        () => postTo(buyer, 'orders', 2, '/api/orders', { ticketId: ticket.id }),
        [404],
      );
      expectStatus(reserved, 201);

      await waitUntil(() => onFirst.statuses.includes('reserved') && onSecond.statuses.includes('reserved'));
    } finally {
      onFirst.close();
      onSecond.close();
    }
  });

  it("the buyer's reservation cap (MAX_LIVE_ORDERS_PER_BUYER=2) holds with the requests split across the orders replicas", async () => {
    const seller = await stack.signUp();
    const buyer = await stack.signUp();
    const tickets = [];
    for (let index = 0; index < 4; index += 1) tickets.push(await sellTicket(seller));

    // Split across the two replicas, all at once; a 404 is orders not having heard of the ticket yet.
    const replies = await Promise.all(
      tickets.map((ticket, index) =>
        waitForReply(() => postTo(buyer, 'orders', (index % 2) + 1, '/api/orders', { ticketId: ticket.id }), [404]),
      ),
    );

    const created = replies.filter((reply) => reply.status === 201);
    expect(created).toHaveLength(2);
    expect(replies.filter((reply) => reply.status !== 201).map((reply) => reply.status)).toEqual([429, 429]);
    const live = await buyer.get<Order[]>('/api/orders');
    expect(live.body.filter((order) => order.status === 'created').length).toBeLessThanOrEqual(2);
  });

  it('a replica killed with SIGKILL is restarted by the launcher, and GETs through the edge meanwhile get no 502', async () => {
    const buyer = await stack.signUp();
    await buyTicket(buyer, await sellTicket(await stack.signUp()));
    const killed = stack.processIdOf('orders', 2) as number;

    process.kill(killed, 'SIGKILL');
    const statuses = new Set<number>();
    while (!stack.serviceLines.some((line) => line.startsWith('orders#2   ready again on '))) {
      statuses.add((await buyer.get('/api/orders')).status);
    }

    expect([...statuses]).toEqual([200]);
    expect(stack.serviceLines).toContain(
      'orders#2   exited unexpectedly (signal SIGKILL); restarting in 1 s (1 of 5 crashes of orders allowed within 60 s)',
    );
    expect(stack.processIdOf('orders', 2)).not.toBe(killed);
  });
});
