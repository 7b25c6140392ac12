import type { Msg } from '@nats-io/transport-node';
import { createTestBus, waitFor, type TestBus } from '../src/testing';
import { ticketData } from './fixtures/events';

/**
 * What a listener asks the server for. A pull request parked on a consumer leader whose NATS node died gets
 * no answer; the client only notices by missing two of the heartbeats the request asked for, then pulls
 * again (from the new leader). So the request's expiry and heartbeat bound how long a listener sits idle
 * after a node dies: 5 s and 2.5 s here, where nats.js' defaults are 30 s and 15 s.
 */
interface PullRequest {
  batch: number;
  /** Nanoseconds. */
  expires: number;
  idle_heartbeat: number;
}

let bus: TestBus;

beforeEach(async () => {
  bus = await createTestBus();
});

afterEach(async () => {
  await bus.destroy();
});

/** Every pull request sent for `durable`, as the server receives it. */
function recordPullRequests(durable: string): { requests: PullRequest[]; stop(): void } {
  const requests: PullRequest[] = [];
  const subscription = bus.connection.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${bus.options.stream}.${durable}`, {
    callback: (_error, message: Msg) => void requests.push(message.json<PullRequest>()),
  });
  return { requests, stop: () => subscription.unsubscribe() };
}

const seconds = (s: number) => s * 1_000_000_000;

describe('a listener pulling from JetStream', () => {
  it('asks for messages 5 s at a time with a heartbeat every 2.5 s, so a pull lost with a NATS node is replaced within seconds', async () => {
    const pulls = recordPullRequests('test-pull-expiry');
    await bus.listen({ subject: 'ticket.created', durable: 'test-pull-expiry', handle: async () => undefined });

    await waitFor(() => expect(pulls.requests.length).toBeGreaterThan(0));
    expect(pulls.requests[0]).toMatchObject({ expires: seconds(5), idle_heartbeat: seconds(2.5) });
    pulls.stop();
  });

  it('when nothing arrives, then it pulls again as each request expires (one request per 5 s), and still receives what is published after', async () => {
    const pulls = recordPullRequests('test-pull-renewed');
    const handled: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-pull-renewed',
      handle: async (event) => void handled.push(event.id),
    });

    await waitFor(() => expect(pulls.requests.length).toBeGreaterThanOrEqual(2), { timeoutMs: 20_000 });
    const published = await bus.publish('ticket.created', ticketData());
    await waitFor(() => expect(handled).toEqual([published.id]));
    pulls.stop();
  }, 30_000);
});
