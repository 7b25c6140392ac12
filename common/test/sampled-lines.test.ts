import { Writable } from 'node:stream';
import pino from 'pino';
import { startListeners, type ListenerDefinition } from '../src';
import { SampledLines } from '../src/logging';
import { createTestBus, waitFor, type TestBus } from '../src/testing';
import { ticketData } from './fixtures/events';

describe('SampledLines', () => {
  it('when events are few, then each is written; when they come faster than one a second, then one a second, saying how many had no line', () => {
    let now = 0;
    const lines = new SampledLines(1_000, () => now);
    expect(lines.take()).toEqual({ write: true, skipped: 0 });
    now = 1_500;
    expect(lines.take()).toEqual({ write: true, skipped: 0 });
    now = 1_600;
    expect(lines.take()).toEqual({ write: false });
    now = 2_400;
    expect(lines.take()).toEqual({ write: false });
    now = 2_500;
    expect(lines.take()).toEqual({ write: true, skipped: 2 });
  });
});

describe("a listener's log lines under load", () => {
  let bus: TestBus;
  const lines: Record<string, unknown>[] = [];

  beforeEach(async () => {
    lines.length = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    bus = await createTestBus({ logger: pino({ level: 'info' }, sink) });
  });

  afterEach(async () => {
    await bus.destroy();
  });

  it('when thirty events arrive in a burst, then a few are logged at info (handler lines with them), and every warning is written', async () => {
    const handled: string[] = [];
    const listener: ListenerDefinition<'ticket.created'> = {
      subject: 'ticket.created',
      durable: 'test-sampled',
      handle: async (event, { logger }) => {
        logger.info('handler says what it did');
        logger.warn('handler warns');
        handled.push(event.id);
      },
    };
    const listeners = await startListeners(bus, [listener]);
    try {
      await Promise.all(Array.from({ length: 30 }, () => bus.publish('ticket.created', ticketData())));
      await waitFor(() => expect(handled).toHaveLength(30));
      await waitFor(() => expect(lines.filter((line) => line.msg === 'handler warns')).toHaveLength(30));

      const handledLines = lines.filter((line) => line.msg === 'event handled');
      const handlerLines = lines.filter((line) => line.msg === 'handler says what it did');
      expect(handledLines.length).toBeGreaterThanOrEqual(1);
      expect(handledLines.length).toBeLessThan(30);
      // The handler's info lines are sampled with the event's: both or neither.
      expect(handlerLines.map((line) => line.eventId).sort()).toEqual(handledLines.map((line) => line.eventId).sort());
      const reportedWithoutLine = handledLines.reduce(
        (sum, line) => sum + ((line.eventsWithoutLineSince as number | undefined) ?? 0),
        0,
      );
      expect(handledLines.length + reportedWithoutLine).toBeLessThanOrEqual(30);
    } finally {
      await listeners.stop();
    }
  });
});
