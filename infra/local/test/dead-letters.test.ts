import { randomUUID } from 'node:crypto';
import { createTestBus, publishRaw, waitFor, type TestBus } from '@ticketing/common/testing';
import { listDeadLetters } from '@ticketing/common';
import { runDeadLettersCommand } from '../src/dead-letters';

let bus: TestBus;
let output: string[];
const savedEnv = { ...process.env };

beforeEach(async () => {
  bus = await createTestBus();
  process.env.NATS_STREAM = bus.options.stream;
  process.env.NATS_SUBJECT_PREFIX = bus.options.subjectPrefix;
  output = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    output.push(String(chunk));
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    output.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
  await bus.destroy();
});

describe('npm run dead-letters', () => {
  it('when a listener terminated a malformed event, then list shows it and replay sends it through again', async () => {
    const seen: string[] = [];
    let accept = false;
    await bus.listen({
      subject: 'order.expired',
      durable: 'orders-order-expired',
      handle: async (event) => {
        if (!accept) throw new Error('unreachable');
        seen.push(event.data.orderId);
      },
    });
    const orderId = randomUUID();
    // Stored with a subject the catalog does not know for it: terminated at once as malformed.
    await publishRaw(
      bus,
      'order.expired',
      JSON.stringify({ id: randomUUID(), subject: 'order.expired', occurredAt: 'yesterday', data: { orderId } }),
    );
    await waitFor(async () => expect(await listDeadLetters(bus)).toHaveLength(1));

    expect(await runDeadLettersCommand(['list'])).toBe(0);
    expect(output.join('')).toMatch(
      /orders-order-expired {2}malformed {2}event #1 {2}\S+\.order\.expired {2}\d+s ago {2}.*occurredAt/,
    );
    expect(output.join('')).toMatch(/1 dead letter\n$/);

    output = [];
    accept = true;
    expect(await runDeadLettersCommand(['replay', 'orders-order-expired', '1'])).toBe(0);
    expect(output.join('')).toContain('replayed orders-order-expired event #1');
    // Still malformed: it comes straight back, which is what a person learns by replaying too early.
    await waitFor(async () => expect(await listDeadLetters(bus)).toHaveLength(1));
    expect(seen).toEqual([]);
  });

  it('when asked for nothing sensible, then it prints the usage and exits 2', async () => {
    expect(await runDeadLettersCommand(['purge'])).toBe(2);
    expect(await runDeadLettersCommand(['replay'])).toBe(2);
    expect(await runDeadLettersCommand(['replay', 'x', 'abc'])).toBe(2);
    expect(output.join('')).toContain('usage: npm run dead-letters -- list [durable]');
  });

  it('when a sequence has no dead letter, then replay says so and exits 1', async () => {
    expect(await runDeadLettersCommand(['replay', 'tickets-order-created', '99'])).toBe(1);
    expect(output.join('')).toContain('no dead letter of tickets-order-created for event #99');
  });
});
