import { randomUUID } from 'node:crypto';
import {
  ChargeStatus,
  eventSchemas,
  MalformedEventError,
  OrderStatus,
  parseEnvelope,
  subjects,
  type EventData,
  type Subject,
} from '../src';

/** One valid payload per subject; typed so a new subject in the catalog fails to compile here too. */
function buildSamples(): { [S in Subject]: EventData<S> } {
  return {
    'user.created': {
      id: randomUUID(),
      email: 'buyer@example.com',
      version: 0,
    },
    'user.updated': {
      id: randomUUID(),
      email: 'buyer+new@example.com',
      version: 1,
    },
    'ticket.created': {
      id: randomUUID(),
      title: 'Concert',
      price: 2000,
      userId: randomUUID(),
      orderId: null,
      venue: 'Olympia, Paris',
      startsAt: '2031-06-12T20:00:00+02:00',
      version: 0,
    },
    'ticket.updated': {
      id: randomUUID(),
      title: 'Concert',
      price: 2500,
      userId: randomUUID(),
      orderId: randomUUID(),
      venue: null,
      startsAt: null,
      version: 1,
    },
    'order.created': {
      id: randomUUID(),
      userId: randomUUID(),
      status: OrderStatus.Created,
      expiresAt: new Date(Date.now() + 15 * 60 * 1000).toISOString(),
      ticket: { id: randomUUID(), price: 2000 },
      version: 0,
    },
    'order.cancelled': {
      id: randomUUID(),
      ticket: { id: randomUUID() },
      version: 1,
    },
    'pass.issued': {
      ticket: { id: randomUUID() },
      heldTicketId: randomUUID(),
      holderId: randomUUID(),
      previousHolderId: randomUUID(),
      generation: 2,
      reason: 'transferred',
    },
    'order.completed': {
      id: randomUUID(),
      ticket: { id: randomUUID() },
      version: 1,
    },
    'order.expired': { orderId: randomUUID() },
    'order.restated': {
      id: randomUUID(),
      userId: randomUUID(),
      status: OrderStatus.Cancelled,
      expiresAt: new Date().toISOString(),
      ticket: { id: randomUUID(), price: 2000 },
      version: 2,
    },
    'charge.created': {
      id: randomUUID(),
      orderId: randomUUID(),
      status: ChargeStatus.Completed,
      amount: 2000,
      stripeId: 'ch_123',
    },
  };
}

function buildEnvelope<S extends Subject>(subject: S, data: unknown, overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    subject,
    occurredAt: new Date().toISOString(),
    data,
    ...overrides,
  };
}

function malformed(parse: () => unknown): MalformedEventError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedEventError);
    return error as MalformedEventError;
  }
  throw new Error('expected a MalformedEventError, but the envelope was accepted');
}

describe('parseEnvelope', () => {
  it('when the catalog gains a subject, then this file has a sample for it', () => {
    const samples = buildSamples();
    expect(Object.keys(samples).sort()).toEqual([...subjects].sort());
    expect([...subjects].sort()).toEqual(Object.keys(eventSchemas).sort());
  });

  it.each(subjects)('when a %s envelope is valid, then it is accepted unchanged', (subject) => {
    const envelope = buildEnvelope(subject, buildSamples()[subject]);
    expect(parseEnvelope(subject, envelope)).toEqual(envelope);
  });

  it('when the subject is another one than expected, then it is rejected', () => {
    const envelope = buildEnvelope('ticket.updated', buildSamples()['ticket.updated']);
    const error = malformed(() => parseEnvelope('ticket.created', envelope));
    expect(error.reason).toContain('expected subject ticket.created, got ticket.updated');
  });

  it('when the subject is not in the catalog, then it is rejected', () => {
    const envelope = buildEnvelope('ticket.created', buildSamples()['ticket.created'], { subject: 'ticket.deleted' });
    malformed(() => parseEnvelope('ticket.created', envelope));
  });

  it('when the payload misses a field, then it is rejected', () => {
    const { price: _price, ...withoutPrice } = buildSamples()['ticket.created'];
    malformed(() => parseEnvelope('ticket.created', buildEnvelope('ticket.created', withoutPrice)));
  });

  it('when there is no payload at all, then it is rejected', () => {
    malformed(() => parseEnvelope('order.expired', buildEnvelope('order.expired', undefined)));
  });

  it.each([
    ['negative', -100],
    ['zero', 0],
    ['fractional', 20.5],
    ['a string', '2000'],
  ])('when a ticket price is %s, then it is rejected', (_name, price) => {
    const data = { ...buildSamples()['ticket.created'], price };
    malformed(() => parseEnvelope('ticket.created', buildEnvelope('ticket.created', data)));
  });

  it('when a ticket event was stored before tickets had a venue and a start, then it is still accepted', () => {
    const { venue: _venue, startsAt: _startsAt, ...older } = buildSamples()['ticket.created'];
    const parsed = parseEnvelope('ticket.created', buildEnvelope('ticket.created', older)).data;
    expect(parsed.venue).toBeUndefined();
    expect(parsed.startsAt).toBeUndefined();
  });

  it.each([
    ['an empty venue', { venue: '' }],
    ['a start without an offset', { startsAt: '2031-06-12T20:00:00' }],
    ['a start that is not a time', { startsAt: 'next Friday' }],
  ])('when a ticket event has %s, then it is rejected', (_case, change) => {
    const data = { ...buildSamples()['ticket.updated'], ...change };
    malformed(() => parseEnvelope('ticket.updated', buildEnvelope('ticket.updated', data)));
  });

  it('when a charge amount is fractional, then it is rejected', () => {
    const data = { ...buildSamples()['charge.created'], amount: 19.99 };
    malformed(() => parseEnvelope('charge.created', buildEnvelope('charge.created', data)));
  });

  it('when the event id is not a UUID, then it is rejected', () => {
    const envelope = buildEnvelope('order.expired', buildSamples()['order.expired'], { id: 'event-1' });
    malformed(() => parseEnvelope('order.expired', envelope));
  });

  it('when an id in the payload is not a UUID, then it is rejected', () => {
    const data = { ...buildSamples()['order.cancelled'], ticket: { id: '42' } };
    malformed(() => parseEnvelope('order.cancelled', buildEnvelope('order.cancelled', data)));
  });

  it('when order.cancelled says why, then a known reason is kept and any other is rejected', () => {
    const data = { ...buildSamples()['order.cancelled'], reason: 'expired' };
    expect(parseEnvelope('order.cancelled', buildEnvelope('order.cancelled', data)).data.reason).toBe('expired');
    const unknown = { ...buildSamples()['order.cancelled'], reason: 'bored' };
    malformed(() => parseEnvelope('order.cancelled', buildEnvelope('order.cancelled', unknown)));
  });

  it.each(['yesterday', '2025-01-01 10:00:00', '1735725600000', ''])(
    'when occurredAt is %p, not an ISO timestamp, then it is rejected',
    (occurredAt) => {
      const envelope = buildEnvelope('order.expired', buildSamples()['order.expired'], { occurredAt });
      malformed(() => parseEnvelope('order.expired', envelope));
    },
  );

  it('when the version is negative or fractional, then it is rejected', () => {
    for (const version of [-1, 1.5]) {
      const data = { ...buildSamples()['user.updated'], version };
      malformed(() => parseEnvelope('user.updated', buildEnvelope('user.updated', data)));
    }
  });

  it.each(Object.values(OrderStatus))('when order.created has status %p, then it is accepted', (status) => {
    const data = { ...buildSamples()['order.created'], status };
    expect(parseEnvelope('order.created', buildEnvelope('order.created', data)).data.status).toBe(status);
  });

  it('when an order event carries the retired status awaiting:payment, then it parses as created (an unpaid order)', () => {
    const data = { ...buildSamples()['order.restated'], status: 'awaiting:payment' };
    expect(parseEnvelope('order.restated', buildEnvelope('order.restated', data)).data.status).toBe('created');
  });

  it('when order.created has a status outside OrderStatus, then it is rejected', () => {
    const data = { ...buildSamples()['order.created'], status: 'pending' };
    malformed(() => parseEnvelope('order.created', buildEnvelope('order.created', data)));
  });

  it('when the message is not an object at all, then it is rejected', () => {
    malformed(() => parseEnvelope('ticket.created', 'not an envelope'));
    malformed(() => parseEnvelope('ticket.created', null));
  });
});
