import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTicket, lockForOrder, sellTo, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

describe('GET /api/tickets/:id', () => {
  it('when the ticket exists, then anyone gets it', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie, { title: 'Ballet', price: 75 });
    const response = await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200);
    expect(response.body).toEqual({ ...ticket, title: 'Ballet', price: 75, userId: user.id });
  });

  it('when shown, then the edge may share the answer for one second, signed in or not', async () => {
    const ticket = await createTicket(context.app);

    const anonymous = await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200);
    const signedIn = await request(context.app).get(`/api/tickets/${ticket.id}`).set('Cookie', signIn().cookie);

    for (const response of [anonymous, signedIn]) {
      expect(response.headers['cache-control']).toBe('public, max-age=0, s-maxage=1');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('when the ticket is reserved, then it is shown reserved, without the id of the order holding it', async () => {
    const ticket = await createTicket(context.app);
    const orderId = await lockForOrder(context.unitOfWork, ticket.id);
    const response = await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200);
    expect(response.body).toEqual({ ...ticket, status: 'reserved', version: 1 });
    // A stranger learns that someone holds it, never which order: an order id is its buyer's to show.
    expect(JSON.stringify(response.body)).not.toContain(orderId);
    expect(response.body).not.toHaveProperty('orderId');
  });

  it('when the ticket is sold, then every view of it says sold, and none names the order that bought it', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie);
    const orderId = await sellTo(context.unitOfWork, ticket.id, randomUUID(), 2050);

    const shown = await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200);
    const mine = await request(context.app).get('/api/tickets/mine').set('Cookie', cookie).expect(200);
    expect(shown.body).toMatchObject({ status: 'sold', sold: true, userId: user.id });
    expect(mine.body).toEqual([shown.body]);
    for (const body of [shown.body, mine.body]) expect(JSON.stringify(body)).not.toContain(orderId);
  });

  it.each([
    ['an unknown id', randomUUID()],
    ['a malformed id', 'not-a-uuid'],
    ['an id with SQL', "1' OR '1'='1"],
  ])('when asked for %s, then it answers 404 with the envelope', async (_case, id) => {
    const response = await request(context.app)
      .get(`/api/tickets/${encodeURIComponent(id)}`)
      .expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('probes', () => {
  it('when probed, then /healthz is alive and /readyz reports the database', async () => {
    await request(context.app).get('/healthz').expect(200, { status: 'ok' });
    await request(context.app)
      .get('/readyz')
      .expect(200, { status: 'ready', checks: { database: true } });
  });
});
