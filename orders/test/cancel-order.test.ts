import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { completeOrder } from '../src/orders/complete-order';
import { cancellationsOf, findOrderRow, seedTicket, signIn, useOrdersApp } from './helpers';

const context = useOrdersApp();

async function placeOrder(cookie: string) {
  const ticket = await seedTicket(context.database);
  const response = await request(context.app)
    .post('/api/orders')
    .set('Cookie', cookie)
    .send({ ticketId: ticket.id })
    .expect(201);
  return response.body as { id: string; ticket: { id: string } };
}

const cancel = (id: string, cookie?: string) => {
  const call = request(context.app).delete(`/api/orders/${id}`);
  return cookie ? call.set('Cookie', cookie) : call;
};

describe('DELETE /api/orders/:id', () => {
  it('when nobody is signed in, then it answers 401 and the order stays', async () => {
    const order = await placeOrder(signIn().cookie);
    const response = await cancel(order.id).expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
    expect((await findOrderRow(context.database, order.id))?.status).toBe('created');
  });

  it('when the buyer cancels their order, then it answers 204, the order is cancelled and order.cancelled recorded', async () => {
    const buyer = signIn();
    const order = await placeOrder(buyer.cookie);
    const response = await cancel(order.id, buyer.cookie).expect(204);
    expect(response.body).toEqual({});
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(context.database, order.id)).toEqual([
      { id: order.id, ticket: { id: order.ticket.id }, version: 1, reason: 'buyer' },
    ]);
  });

  it('when the buyer cancels twice, then both answer 204 and only one order.cancelled is recorded', async () => {
    const buyer = signIn();
    const order = await placeOrder(buyer.cookie);
    await cancel(order.id, buyer.cookie).expect(204);
    await cancel(order.id, buyer.cookie).expect(204);
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(context.database, order.id)).toHaveLength(1);
  });

  it('when ten cancellations of one order race, then exactly one order.cancelled is recorded', async () => {
    const buyer = signIn();
    const order = await placeOrder(buyer.cookie);
    const responses = await Promise.all(Array.from({ length: 10 }, () => cancel(order.id, buyer.cookie)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(204));
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(context.database, order.id)).toHaveLength(1);
  });

  it('when the order is complete, then it answers 409 and the order stays complete', async () => {
    const buyer = signIn();
    const order = await placeOrder(buyer.cookie);
    await completeOrder(context.unitOfWork, order.id);
    const response = await cancel(order.id, buyer.cookie).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'Order is complete and cannot be cancelled' }] });
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await cancellationsOf(context.database, order.id)).toEqual([]);
  });

  it('when the order is someone else’s, then it answers 403 and the order stays', async () => {
    const order = await placeOrder(signIn().cookie);
    const response = await cancel(order.id, signIn().cookie).expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'You do not own this order' }] });
    expect((await findOrderRow(context.database, order.id))?.status).toBe('created');
    expect(await cancellationsOf(context.database, order.id)).toEqual([]);
  });

  it('when the order does not exist, then it answers 404', async () => {
    const response = await cancel(randomUUID(), signIn().cookie).expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Order not found' }] });
  });

  it('when the id is malformed, then it answers 404', async () => {
    const response = await cancel('not-a-uuid', signIn().cookie).expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});
