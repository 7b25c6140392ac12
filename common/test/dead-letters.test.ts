import { listDeadLetters, replayDeadLetters, type EventEnvelope } from '../src';
import { createTestBus, publishRaw, waitFor, type TestBus } from '../src/testing';
import { ticketData } from './fixtures/events';

let bus: TestBus;

beforeEach(async () => {
  bus = await createTestBus({ retry: { budgetMs: 300, baseDelayMs: 50, maxDelayMs: 100 } });
});

afterEach(async () => {
  await bus.destroy();
});

describe('dead letters, listed and replayed by a person', () => {
  it('when listeners gave up on events, then the list shows each with its listener, kind and reason, oldest first', async () => {
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-broken',
      handle: async () => {
        throw new Error('database unreachable');
      },
    });
    await bus.listen({ subject: 'order.expired', durable: 'test-strict', handle: async () => undefined });
    const event = await bus.publish('ticket.created', ticketData());
    await publishRaw(bus, 'order.expired', '{not json');

    await waitFor(async () => expect(await listDeadLetters(bus)).toHaveLength(2), { timeoutMs: 10_000 });
    const deadLetters = await listDeadLetters(bus);
    expect(deadLetters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          durable: 'test-broken',
          kind: 'retry-budget-exhausted',
          reason: 'database unreachable',
          streamSequence: event.sequence,
        }),
        expect.objectContaining({ durable: 'test-strict', kind: 'malformed', payload: '{not json' }),
      ]),
    );
    expect(await listDeadLetters(bus, 'test-strict')).toEqual([expect.objectContaining({ durable: 'test-strict' })]);
  });

  it('when a dead letter is replayed, then its listener applies the event, other listeners change nothing, and it leaves the list', async () => {
    let healthy = false;
    const applied: string[] = [];
    const otherListener: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-flaky',
      handle: async (event: EventEnvelope<'ticket.created'>) => {
        if (!healthy) throw new Error('database unreachable');
        applied.push(event.id);
      },
    });
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-healthy',
      handle: async (event) => void otherListener.push(event.id),
    });
    const first = await bus.publish('ticket.created', ticketData());
    const second = await bus.publish('ticket.created', ticketData());
    await waitFor(async () => expect(await listDeadLetters(bus, 'test-flaky')).toHaveLength(2), {
      timeoutMs: 10_000,
    });

    healthy = true;
    const replayed = await replayDeadLetters(bus, 'test-flaky', second.sequence);
    expect(replayed.map((deadLetter) => deadLetter.streamSequence)).toEqual([second.sequence]);
    await waitFor(() => expect(applied).toEqual([second.id]));
    expect(await listDeadLetters(bus, 'test-flaky')).toEqual([
      expect.objectContaining({ streamSequence: first.sequence }),
    ]);

    await replayDeadLetters(bus, 'test-flaky');
    await waitFor(() => expect(applied).toEqual([second.id, first.id]));
    expect(await listDeadLetters(bus)).toEqual([]);
    // The healthy listener saw each event again on replay: it gets the same envelope id, which its inbox
    // (here, this array) recognises; nothing lost, nothing new.
    await waitFor(() => expect(new Set(otherListener)).toEqual(new Set([first.id, second.id])));
  });
});
