import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { sessionCookieFor } from '@ticketing/common/testing';
import { givenOrder, listPayments, pay, usePayments } from './helpers';

const payments = usePayments();

describe('GET /api/payments?orderId=', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const response = await listPayments(payments.app, undefined, randomUUID());
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it.each([['not-a-uuid'], ['']])('when orderId is %j, then it answers 400 on that field', async (orderId) => {
    const response = await listPayments(payments.app, sessionCookieFor().cookie, orderId);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'A valid orderId is required', field: 'orderId' }] });
  });

  it.each([
    ['given twice', () => `orderId=${randomUUID()}&orderId=${randomUUID()}`],
    ['an object', () => `orderId[id]=${randomUUID()}`],
    ['missing', () => ''],
  ])('when orderId is %s, then it answers 400 on that field', async (_case, query) => {
    const response = await request(payments.app)
      .get(`/api/payments?${query()}`)
      .set('Cookie', sessionCookieFor().cookie);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'A valid orderId is required', field: 'orderId' }] });
  });

  it('when the order is unknown, then it answers 404', async () => {
    const response = await listPayments(payments.app, sessionCookieFor().cookie, randomUUID());
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ errors: [{ message: 'Order not found' }] });
  });

  it('when someone else placed the order, then it answers 403', async () => {
    const order = await givenOrder(payments.database);
    const response = await listPayments(payments.app, sessionCookieFor().cookie, order.id);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ errors: [{ message: 'You did not place this order' }] });
  });

  it('when the order has no payment yet, then it answers an empty list', async () => {
    const order = await givenOrder(payments.database);
    const response = await listPayments(payments.app, order.cookie, order.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  it('when the buyer reloads after paying, then every attempt is listed newest first, amounts in cents', async () => {
    const order = await givenOrder(payments.database, { price: 1234 });
    // A card Stripe does not know: a failed attempt that leaves the order payable (a decline would not).
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_no_such_card' }).expect(400);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(
      201,
    );

    const response = await listPayments(payments.app, order.cookie, order.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      paid.body,
      {
        id: expect.any(String),
        orderId: order.id,
        status: 'failed',
        amount: 1234,
        stripeId: expect.any(String),
        stripeRefundId: null,
      },
    ]);
  });
});
