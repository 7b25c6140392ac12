import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { orders } from '../src/db/schema';
import { completeOrder } from '../src/orders/complete-order';
import { TEST_EXPIRATION_SECONDS, findOrderRow, recordedPayloads, seedTicket, signIn, useOrdersApp } from './helpers';

const context = useOrdersApp();

const post = (body: unknown, cookie?: string) => {
  const call = request(context.app).post('/api/orders');
  return (cookie ? call.set('Cookie', cookie) : call).send(body as object);
};

describe('POST /api/orders', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const ticket = await seedTicket(context.database);
    const response = await post({ ticketId: ticket.id }).expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when the ticket is free, then it answers 201 with the order and its ticket, price as a decimal', async () => {
    const ticket = await seedTicket(context.database, { title: 'Opera', price: 2050 });
    const { cookie, user } = signIn();
    const response = await post({ ticketId: ticket.id }, cookie).expect(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      userId: user.id,
      status: 'created',
      expiresAt: expect.any(String),
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      ticket: { id: ticket.id, title: 'Opera', price: 20.5 },
      version: 0,
    });
    expect(await findOrderRow(context.database, response.body.id)).toMatchObject({
      userId: user.id,
      ticketId: ticket.id,
      status: 'created',
      version: 0,
    });
  });

  it('when an order is created, then order.created is recorded with the price in cents and the ISO deadline', async () => {
    const ticket = await seedTicket(context.database, { price: 1999 });
    const { cookie, user } = signIn();
    const response = await post({ ticketId: ticket.id }, cookie).expect(201);
    const created = (await recordedPayloads(context.database, 'order.created')).filter(
      (payload) => payload.id === response.body.id,
    );
    expect(created).toEqual([
      {
        id: response.body.id,
        userId: user.id,
        status: 'created',
        expiresAt: response.body.expiresAt,
        ticket: { id: ticket.id, price: 1999, startsAt: null },
        version: 0,
      },
    ]);
  });

  it('when an order is created, then it expires ORDER_EXPIRATION_SECONDS after it was placed', async () => {
    const ticket = await seedTicket(context.database);
    const before = Date.now();
    const response = await post({ ticketId: ticket.id }, signIn().cookie).expect(201);
    const after = Date.now();
    const expiresAt = Date.parse(response.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + TEST_EXPIRATION_SECONDS * 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + TEST_EXPIRATION_SECONDS * 1000);
  });

  it('when the ticket’s event starts before the reservation window ends, then the reservation ends at the start, and order.created carries the start', async () => {
    // A reservation never outlives its event: the expiration job cancels it at the start, so it cannot be
    // paid for an event that has begun.
    const startsAt = new Date(Date.now() + 60_000); // the window is TEST_EXPIRATION_SECONDS (120 s)
    const ticket = await seedTicket(context.database, { startsAt });

    const response = await post({ ticketId: ticket.id }, signIn().cookie).expect(201);

    expect(response.body.expiresAt).toBe(startsAt.toISOString());
    expect(await findOrderRow(context.database, response.body.id)).toMatchObject({ expiresAt: startsAt });
    const [created] = (await recordedPayloads(context.database, 'order.created')).filter(
      (payload) => payload.id === response.body.id,
    );
    expect(created).toMatchObject({
      expiresAt: startsAt.toISOString(),
      ticket: { id: ticket.id, startsAt: startsAt.toISOString() },
    });
  });

  it('when the ticket’s event starts after the reservation window, then the reservation ends with the window, and order.created carries the start', async () => {
    const startsAt = new Date(Date.now() + 60 * 60_000);
    const ticket = await seedTicket(context.database, { startsAt });

    const response = await post({ ticketId: ticket.id }, signIn().cookie).expect(201);

    expect(Date.parse(response.body.expiresAt)).toBeLessThanOrEqual(Date.now() + TEST_EXPIRATION_SECONDS * 1000);
    const [created] = (await recordedPayloads(context.database, 'order.created')).filter(
      (payload) => payload.id === response.body.id,
    );
    expect(created?.ticket.startsAt).toBe(startsAt.toISOString());
  });

  it('when the ticket is unknown, then it answers 404 and records nothing', async () => {
    const before = (await recordedPayloads(context.database, 'order.created')).length;
    const response = await post({ ticketId: randomUUID() }, signIn().cookie).expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Ticket not found' }] });
    expect(await recordedPayloads(context.database, 'order.created')).toHaveLength(before);
  });

  it('when the buyer is the seller, then it answers 403', async () => {
    const { cookie, user } = signIn();
    const ticket = await seedTicket(context.database, { userId: user.id });
    const response = await post({ ticketId: ticket.id }, cookie).expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'You cannot buy your own ticket' }] });
  });

  it('when the ticket’s event has started, then it answers 409 and records nothing', async () => {
    const ticket = await seedTicket(context.database, { startsAt: new Date(Date.now() - 1_000) });
    const before = (await recordedPayloads(context.database, 'order.created')).length;
    const response = await post({ ticketId: ticket.id, ticketVersion: 0 }, signIn().cookie).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'The event has already started' }] });
    expect(await recordedPayloads(context.database, 'order.created')).toHaveLength(before);
  });

  it('when the ticket’s event starts later, then it is reserved as any other', async () => {
    const ticket = await seedTicket(context.database, { startsAt: new Date(Date.now() + 60_000) });
    await post({ ticketId: ticket.id }, signIn().cookie).expect(201);
  });

  it('when another buyer already holds the ticket, then it answers 409 and records nothing', async () => {
    const ticket = await seedTicket(context.database);
    await post({ ticketId: ticket.id }, signIn().cookie).expect(201);
    const before = (await recordedPayloads(context.database, 'order.created')).length;
    const response = await post({ ticketId: ticket.id }, signIn().cookie).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
    expect(await recordedPayloads(context.database, 'order.created')).toHaveLength(before);
  });

  it('when the same buyer orders the ticket they already hold, then it answers 409', async () => {
    const ticket = await seedTicket(context.database);
    const { cookie } = signIn();
    await post({ ticketId: ticket.id }, cookie).expect(201);
    await post({ ticketId: ticket.id }, cookie).expect(409);
  });

  it('when twenty buyers race for one ticket, then exactly one order is created and nineteen get 409', async () => {
    const ticket = await seedTicket(context.database);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post({ ticketId: ticket.id }, signIn().cookie)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      expect(response.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
    }
    const rows = await context.database.db.select().from(orders).where(eq(orders.ticketId, ticket.id));
    expect(rows).toHaveLength(1);
    const created = (await recordedPayloads(context.database, 'order.created')).filter(
      (payload) => payload.ticket.id === ticket.id,
    );
    expect(created).toHaveLength(1);
  });

  it('when the order holding a ticket is cancelled, then the ticket can be ordered again', async () => {
    const ticket = await seedTicket(context.database);
    const first = signIn();
    const order = await post({ ticketId: ticket.id }, first.cookie).expect(201);
    await request(context.app).delete(`/api/orders/${order.body.id}`).set('Cookie', first.cookie).expect(204);
    const again = await post({ ticketId: ticket.id }, signIn().cookie).expect(201);
    expect(again.body.id).not.toBe(order.body.id);
  });

  it('when the order holding a ticket is complete, then the ticket is sold and ordering it answers 409', async () => {
    const ticket = await seedTicket(context.database);
    const order = await post({ ticketId: ticket.id }, signIn().cookie).expect(201);
    await completeOrder(context.unitOfWork, order.body.id);
    await post({ ticketId: ticket.id }, signIn().cookie).expect(409);
  });

  it.each([
    ['missing', {}],
    ['not a UUID', { ticketId: 'abc' }],
    ['a number', { ticketId: 42 }],
    ['null', { ticketId: null }],
    ['an array of a UUID', { ticketId: [randomUUID()] }],
    ['an object', { ticketId: { $ne: '' } }],
    ['an empty string', { ticketId: '' }],
  ])('when ticketId is %s, then it answers 400 naming ticketId', async (_case, body) => {
    const response = await post(body, signIn().cookie).expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'ticketId must be a valid id', field: 'ticketId' }] });
  });

  it('when the body is not valid JSON, then it answers 400 with the envelope', async () => {
    const response = await request(context.app)
      .post('/api/orders')
      .set('Cookie', signIn().cookie)
      .set('Content-Type', 'application/json')
      .send('{"ticketId": ')
      .expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
  });
});
