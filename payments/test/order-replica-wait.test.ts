import { randomUUID } from 'node:crypto';
import { ReplicaChanges } from '@ticketing/common/versions';
import { type EventData } from '@ticketing/common/events';
import { sessionCookieFor, waitFor } from '@ticketing/common/testing';
import { buildApp } from '../src/app';
import { chargeRowsOf, pay, usePayments } from './helpers';

// Listeners on a real JetStream: the order reaches payments the way it does in production, by order.created.
const payments = usePayments({ bus: true });

function orderCreated(): EventData<'order.created'> {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    status: 'created',
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: randomUUID(), price: 3100, startsAt: null },
    version: 0,
  };
}

const cookieOf = (order: { userId: string }) => sessionCookieFor({ id: order.userId }).cookie;

describe('paying an order payments has not heard of yet', () => {
  it('when the buyer pays right after reserving, before order.created reached payments, then the payment waits for it and goes through', async () => {
    const order = orderCreated();

    const paying = pay(payments.app, cookieOf(order), { orderId: order.id, paymentMethodId: 'pm_card_visa' }).then(
      (response) => response,
    );
    await payments.bus!.publish('order.created', order);
    const response = await paying;

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ orderId: order.id, status: 'completed', amount: 3100 });
  });

  it('when this process’s listener applies order.created, then the waiting payment is woken by it, not by its next poll', async () => {
    // A poll far longer than the wait: only the listener's wake-up can end this wait in time.
    const app = buildApp({ ...payments.appDependencies, orderReplicaPollMs: 10 * 60_000 });
    const order = orderCreated();

    const paying = pay(app, cookieOf(order), { orderId: order.id, paymentMethodId: 'pm_card_visa' }).then(
      (response) => response,
    );
    await waitFor(() => expect(payments.orderReplicaChanges.size).toBe(1));
    await payments.bus!.publish('order.created', order);

    expect((await paying).status).toBe(201);
    expect(payments.orderReplicaChanges.size).toBe(0);
  });

  it('when another replica of payments applies order.created, then the waiting payment finds it by its poll', async () => {
    // This app's process runs no listener: its own wake-ups never come, as on a replica that did not get the event.
    const otherReplica = buildApp({ ...payments.appDependencies, orderReplicaChanges: new ReplicaChanges() });
    const order = orderCreated();

    const paying = pay(otherReplica, cookieOf(order), { orderId: order.id, paymentMethodId: 'pm_card_visa' }).then(
      (response) => response,
    );
    await payments.bus!.publish('order.created', order);

    expect((await paying).status).toBe(201);
  });

  it('when payments never hears of the order within the wait, then 503 with Retry-After and the envelope’s message, and nothing is charged', async () => {
    const impatient = buildApp({
      ...payments.appDependencies,
      config: { ...payments.config, ORDER_REPLICA_WAIT_MS: 200 },
    });
    const orderId = randomUUID();

    const response = await pay(impatient, sessionCookieFor().cookie, { orderId, paymentMethodId: 'pm_card_visa' });

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({
      errors: [{ message: 'Your order is still being set up for payment; please try again in a moment' }],
    });
    expect(await chargeRowsOf(payments.database, orderId)).toEqual([]);
  });
});
