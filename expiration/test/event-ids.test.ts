import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseEnvelope } from '@ticketing/common/events';
import { nameBasedUuid, orderExpiredEventId } from '../src/expiration/event-ids';

describe('deterministic event ids', () => {
  it('when derived from a name, then it is the RFC 9562 version 5 UUID (the RFC test vector)', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('when derived for an order, then it is the same every time, differs per order, and is a valid event id', () => {
    const orderId = randomUUID();
    const id = orderExpiredEventId(orderId);
    expect(orderExpiredEventId(orderId)).toBe(id);
    expect(orderExpiredEventId(randomUUID())).not.toBe(id);
    expect(id).not.toBe(orderId);
    expect(z.uuid().safeParse(id).success).toBe(true);
    expect(id[14]).toBe('5');
    // What every listener checks on the wire: an order.expired carrying this id is accepted.
    const envelope = { id, subject: 'order.expired', occurredAt: new Date().toISOString(), data: { orderId } };
    expect(parseEnvelope('order.expired', envelope).id).toBe(id);
  });
});
