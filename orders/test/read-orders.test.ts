import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { seedTicket, signIn, useOrdersApp } from './helpers';

const context = useOrdersApp();

/** Places an order for a fresh ticket as `cookie`; resolves to the 201 body. */
async function placeOrder(cookie: string, ticket: { title?: string; price?: number } = {}) {
  const seeded = await seedTicket(context.database, ticket);
  const response = await request(context.app)
    .post('/api/orders')
    .set('Cookie', cookie)
    .send({ ticketId: seeded.id })
    .expect(201);
  return response.body as { id: string; ticket: { id: string; title: string; price: number } };
}

describe('GET /api/orders', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const response = await request(context.app).get('/api/orders').expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when the caller has no orders, then it answers 200 with an empty list', async () => {
    await placeOrder(signIn().cookie);
    await request(context.app).get('/api/orders').set('Cookie', signIn().cookie).expect(200, []);
  });

  it("when several buyers have orders, then each sees only their own, newest first, with each order's ticket", async () => {
    const buyer = signIn();
    const other = signIn();
    const first = await placeOrder(buyer.cookie, { title: 'First', price: 1000 });
    await placeOrder(other.cookie);
    const second = await placeOrder(buyer.cookie, { title: 'Second', price: 2550 });

    const response = await request(context.app).get('/api/orders').set('Cookie', buyer.cookie).expect(200);
    expect(response.body).toEqual([
      {
        id: second.id,
        userId: buyer.user.id,
        status: 'created',
        expiresAt: expect.any(String),
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        ticket: { id: second.ticket.id, title: 'Second', price: 25.5 },
        version: 0,
      },
      {
        id: first.id,
        userId: buyer.user.id,
        status: 'created',
        expiresAt: expect.any(String),
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        ticket: { id: first.ticket.id, title: 'First', price: 10 },
        version: 0,
      },
    ]);
  });

  it('when an order was cancelled, then the list shows it cancelled with its new version', async () => {
    const buyer = signIn();
    const order = await placeOrder(buyer.cookie);
    await request(context.app).delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie).expect(204);
    const response = await request(context.app).get('/api/orders').set('Cookie', buyer.cookie).expect(200);
    expect(response.body).toEqual([expect.objectContaining({ id: order.id, status: 'cancelled', version: 1 })]);
  });
});

describe('GET /api/orders/:id', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const order = await placeOrder(signIn().cookie);
    const response = await request(context.app).get(`/api/orders/${order.id}`).expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when the order is the caller’s, then it answers 200 with the order and its ticket', async () => {
    const buyer = signIn();
    const order = await placeOrder(buyer.cookie, { title: 'Jazz night', price: 4200 });
    const response = await request(context.app).get(`/api/orders/${order.id}`).set('Cookie', buyer.cookie).expect(200);
    expect(response.body).toEqual({
      id: order.id,
      userId: buyer.user.id,
      status: 'created',
      expiresAt: expect.any(String),
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      ticket: { id: order.ticket.id, title: 'Jazz night', price: 42 },
      version: 0,
    });
  });

  it('when the order is someone else’s, then it answers 403', async () => {
    const order = await placeOrder(signIn().cookie);
    const response = await request(context.app)
      .get(`/api/orders/${order.id}`)
      .set('Cookie', signIn().cookie)
      .expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'You do not own this order' }] });
  });

  it('when the order does not exist, then it answers 404', async () => {
    const response = await request(context.app)
      .get(`/api/orders/${randomUUID()}`)
      .set('Cookie', signIn().cookie)
      .expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Order not found' }] });
  });

  it.each(['not-a-uuid', '123', "1' OR '1'='1"])('when the id is malformed (%s), then it answers 404', async (id) => {
    const response = await request(context.app)
      .get(`/api/orders/${encodeURIComponent(id)}`)
      .set('Cookie', signIn().cookie)
      .expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});
