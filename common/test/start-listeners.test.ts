import { randomUUID } from 'node:crypto';
import { startListeners, type EventEnvelope, type ListenerDefinition, type Subject } from '../src';
import { createTestBus, waitFor, type TestBus } from '../src/testing';
import { ticketData } from './fixtures/events';

let bus: TestBus;

beforeEach(async () => {
  bus = await createTestBus();
});

afterEach(async () => {
  await bus.destroy();
});

/** A listener that notes the id of every event it handles. */
function noting(durable: string, seen: string[]): ListenerDefinition<'ticket.created'> {
  return { subject: 'ticket.created', durable, handle: async (event) => void seen.push(event.id) };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a service's listeners, started and stopped together", () => {
  it('when the listeners start, then each durable is bound and handles its events', async () => {
    const seenByFirst: string[] = [];
    const expired: EventEnvelope<'order.expired'>[] = [];
    const second: ListenerDefinition<'order.expired'> = {
      subject: 'order.expired',
      durable: 'test-second',
      handle: async (event) => void expired.push(event),
    };
    const listeners = await startListeners(bus, [noting('test-first', seenByFirst), second]);
    expect(listeners.durables).toEqual(['test-first', 'test-second']);

    const ticket = await bus.publish('ticket.created', ticketData());
    const orderId = randomUUID();
    await bus.publish('order.expired', { orderId });
    await waitFor(() => expect(seenByFirst).toEqual([ticket.id]));
    await waitFor(() => expect(expired.map((event) => event.data.orderId)).toEqual([orderId]));
    await listeners.stop();
  });

  it('when they stop, then none of them handles another event, and a later start resumes where they stopped', async () => {
    const seen: string[] = [];
    const listeners = await startListeners(bus, [noting('test-stopping', seen)]);
    const before = await bus.publish('ticket.created', ticketData());
    await waitFor(() => expect(seen).toEqual([before.id]));

    await listeners.stop();
    const whileStopped = await bus.publish('ticket.created', ticketData());
    await pause(300);
    expect(seen).toEqual([before.id]);

    const again = await startListeners(bus, [noting('test-stopping', seen)]);
    await waitFor(() => expect(seen).toEqual([before.id, whileStopped.id]));
    await again.stop();
  });

  it('when durables are retired, then the server no longer keeps them before the listeners bind', async () => {
    const old = await startListeners(bus, [noting('test-old-name', [])]);
    await old.stop();
    const listeners = await startListeners(bus, [noting('test-new-name', [])], {
      retiredDurables: ['test-old-name', 'test-never-existed'],
    });
    await expect(bus.manager.consumers.info(bus.options.stream, 'test-old-name')).rejects.toThrow();
    await expect(bus.manager.consumers.info(bus.options.stream, 'test-new-name')).resolves.toBeDefined();
    await listeners.stop();
  });

  it('when one listener cannot be bound, then the start fails and the listeners already bound stop', async () => {
    const seen: string[] = [];
    const unbindable = {
      subject: ['ticket.created', 'order.created'],
      durable: 'test-unbindable',
      handle: async () => undefined,
    } as unknown as ListenerDefinition<Subject>;
    await expect(startListeners(bus, [noting('test-bound-first', seen), unbindable])).rejects.toThrow(
      /must differ only in their last token/,
    );
    await bus.publish('ticket.created', ticketData());
    await pause(300);
    expect(seen).toEqual([]);
  });
});
