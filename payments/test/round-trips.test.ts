import { randomUUID } from 'node:crypto';
import { RetryLaterError } from '@ticketing/common/bus';
import { countRoundTrips, createTestLogger } from '@ticketing/common/testing';
import type { EventData, EventEnvelope, Subject } from '@ticketing/common/events';
import { findOrder } from '../src/db/orders';
import { paymentsListeners } from '../src/events';
import { usePayments } from './helpers';

const harness = usePayments();
const logger = createTestLogger();

/** Hands one event to the payments listener of its subject, as the bus would; resolves to the round trips it took. */
async function applyEvent<S extends Subject>(subject: S, data: EventData<S>): Promise<string[]> {
  const listener = paymentsListeners(harness.unitOfWork, harness.stripe, harness.orderReplicaChanges).find(
    (definition) => definition.subject === subject,
  );
  if (!listener) throw new Error(`no payments listener hears ${subject}`);
  const event = { id: randomUUID(), subject, occurredAt: new Date().toISOString(), data } as EventEnvelope<S>;
  const { statements } = await countRoundTrips(() => listener.handle(event as never, { deliveryCount: 1, logger }));
  return statements;
}

const orderCreated = (id = randomUUID()): EventData<'order.created'> => ({
  id,
  userId: randomUUID(),
  status: 'created',
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  ticket: { id: randomUUID(), price: 2050, startsAt: '2030-01-01T20:00:00+01:00' },
  version: 0,
});

// A flash sale and an expiry burst are these events by the thousand: each round trip is CPU on both sides.
describe('round trips to PostgreSQL per order event (payments)', () => {
  it('when an order is created, then its replica takes three: the inbox with BEGIN, the insert, COMMIT', async () => {
    const order = orderCreated();
    const statements = await applyEvent('order.created', order);
    expect(await findOrder(harness.database.db, order.id)).toMatchObject({
      userId: order.userId,
      status: 'created',
      price: 2050,
      version: 0,
      startsAt: new Date('2030-01-01T19:00:00Z'),
    });
    expect(statements).toEqual([
      expect.stringMatching(/^begin; insert into processed_events/),
      expect.stringMatching(/^\[payments_insert_order\] insert into "orders"/),
      'commit',
    ]);
  });

  it('when order.created comes again under another event id, then the replica keeps its newer state', async () => {
    const order = orderCreated();
    await applyEvent('order.created', order);
    await applyEvent('order.cancelled', { id: order.id, ticket: { id: order.ticket.id }, version: 1 });
    await applyEvent('order.created', order);
    expect(await findOrder(harness.database.db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when an order is cancelled, then its replica takes three: the inbox with BEGIN, the update on version N−1 and the charges to refund in one text, COMMIT', async () => {
    const order = orderCreated();
    await applyEvent('order.created', order);
    const statements = await applyEvent('order.cancelled', {
      id: order.id,
      ticket: { id: order.ticket.id },
      version: 1,
    });
    expect(await findOrder(harness.database.db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(statements).toEqual([
      expect.stringMatching(/^begin; insert into processed_events/),
      expect.stringMatching(
        /^(PREPARE .*; )?EXECUTE payments_text_cancel_on_previous_version\('[^']+', 1\); EXECUTE payments_text_charges_to_refund\('[^']+', 1\)$/,
      ),
      'commit',
    ]);
  });

  it('when a cancellation arrives before its order, or twice under two ids, then it is retried, then ignored', async () => {
    const order = orderCreated();
    const cancellation = { id: order.id, ticket: { id: order.ticket.id }, version: 1 };
    await expect(applyEvent('order.cancelled', cancellation)).rejects.toBeInstanceOf(RetryLaterError);
    await applyEvent('order.created', order);
    await applyEvent('order.cancelled', cancellation);
    await applyEvent('order.cancelled', cancellation);
    expect(await findOrder(harness.database.db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    await expect(
      applyEvent('order.cancelled', { id: orderCreated().id, ticket: { id: order.ticket.id }, version: 3 }),
    ).rejects.toBeInstanceOf(RetryLaterError);
  });
});
