import { eq } from 'drizzle-orm';
import request from 'supertest';
import { tickets } from '../src/db/schema';
import { randomUUID } from 'node:crypto';
import { waitFor } from '@ticketing/common/testing';
import { buildTestApp, findOrderRow, recordedPayloads, seedTicket, signIn, useOrdersApp } from './helpers';

// A short wait for a lagging replica, so the "never catches up" case stays quick.
const context = useOrdersApp({ TICKET_REPLICA_WAIT_MS: '400', MAX_LIVE_ORDERS_PER_BUYER: '3' });

const post = (body: unknown, cookie: string) =>
  request(context.app)
    .post('/api/orders')
    .set('Cookie', cookie)
    .send(body as object);

/** What ticket.updated does to the replica: the seller's edit reaching orders. */
async function applyEdit(ticketId: string, changes: { price: number; version: number }) {
  await context.database.db.update(tickets).set(changes).where(eq(tickets.id, ticketId));
}

describe('you pay what you saw', () => {
  it('when the seller edits the price after the order, then the order still shows and charges the price it was placed at', async () => {
    const ticket = await seedTicket(context.database, { price: 50_000 });
    const { cookie } = signIn();
    const placed = await post({ ticketId: ticket.id, ticketVersion: 0 }, cookie).expect(201);
    expect(placed.body.ticket.price).toBe(500);

    await applyEdit(ticket.id, { price: 1_000, version: 1 });
    const shown = await request(context.app).get(`/api/orders/${placed.body.id}`).set('Cookie', cookie).expect(200);
    expect(shown.body.ticket.price).toBe(500);
    const listed = await request(context.app).get('/api/orders').set('Cookie', cookie).expect(200);
    expect(listed.body[0].ticket.price).toBe(500);
    expect(await findOrderRow(context.database, placed.body.id)).toMatchObject({ price: 50_000 });
    const [created] = (await recordedPayloads(context.database, 'order.created')).filter(
      (payload) => payload.id === placed.body.id,
    );
    expect(created?.ticket.price).toBe(50_000);
  });

  it('when the ticket moved past the version the buyer saw, then 409 asks to review the new price and nothing is reserved', async () => {
    const ticket = await seedTicket(context.database, { price: 50_000 });
    await applyEdit(ticket.id, { price: 1_000, version: 1 });
    const { cookie } = signIn();
    const response = await post({ ticketId: ticket.id, ticketVersion: 0 }, cookie).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'The ticket changed; review the new price' }] });
    await post({ ticketId: ticket.id, ticketVersion: 1 }, cookie).expect(201);
  });

  it('when the buyer saw an edit the replica has not applied yet, then the order waits for it and is placed at the price seen', async () => {
    const ticket = await seedTicket(context.database, { price: 50_000 });
    const { cookie } = signIn();
    const placing = post({ ticketId: ticket.id, ticketVersion: 1 }, cookie);
    // The seller's $500 → $10 edit reaches orders while the buyer's request waits.
    setTimeout(() => void applyEdit(ticket.id, { price: 1_000, version: 1 }), 150);
    const response = await placing.expect(201);
    expect(response.body.ticket.price).toBe(10);
    expect(await findOrderRow(context.database, response.body.id)).toMatchObject({ price: 1_000 });
  });

  it('when the replica never reaches the version seen, then 503 with Retry-After and no order at the old price', async () => {
    const ticket = await seedTicket(context.database, { price: 50_000 });
    const { cookie } = signIn();
    const response = await post({ ticketId: ticket.id, ticketVersion: 3 }, cookie).expect(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({ errors: [{ message: 'The ticket is being updated; please try again' }] });
    expect(await recordedPayloads(context.database, 'order.created')).not.toContainEqual(
      expect.objectContaining({ ticket: expect.objectContaining({ id: ticket.id }) }),
    );
  });

  it.each([-1, 1.5, '2', null, 'latest'])('when ticketVersion is %j, then 400 names it', async (ticketVersion) => {
    const ticket = await seedTicket(context.database);
    const response = await post({ ticketId: ticket.id, ticketVersion }, signIn().cookie).expect(400);
    expect(response.body).toEqual({
      errors: [{ message: 'ticketVersion must be a whole number from 0', field: 'ticketVersion' }],
    });
  });
});

describe('a ticket version that cannot exist yet', () => {
  afterEach(() => jest.restoreAllMocks());

  /** Sends the request now (supertest sends on `then`) and says in which order the answers came. */
  function sent(call: request.Test, name: string, answered: string[]) {
    return call.then((response) => {
      answered.push(name);
      return response;
    });
  }

  it('when the version is far beyond the replica’s, then it answers 409 at once, without waiting for the replica', async () => {
    const ticket = await seedTicket(context.database, { version: 4 });
    const waits = jest.spyOn(context.memory.ticketReplicaChanges, 'next');

    const bogus = await post({ ticketId: ticket.id, ticketVersion: 999_999_999 }, signIn().cookie);

    expect(bogus.status).toBe(409);
    expect(bogus.body).toEqual({
      errors: [{ message: 'No such version of this ticket; reload it and try again', field: 'ticketVersion' }],
    });
    expect(waits).not.toHaveBeenCalled();
    await post({ ticketId: ticket.id, ticketVersion: 4 }, signIn().cookie).expect(201);
  });

  it('when the ticket is unknown here and the version is far beyond a new ticket’s, then it answers 409 at once', async () => {
    const waits = jest.spyOn(context.memory.ticketReplicaChanges, 'next');
    const bogus = await post({ ticketId: randomUUID(), ticketVersion: 1_000 }, signIn().cookie);
    expect(bogus.status).toBe(409);
    expect(waits).not.toHaveBeenCalled();
  });

  it('when a buyer waits for a version the replica never reaches, then another buyer of the ticket is served without waiting behind them', async () => {
    const ticket = await seedTicket(context.database);
    const answered: string[] = [];
    // Within the margin, so it waits for the replica (TICKET_REPLICA_WAIT_MS, 400 ms here), then 503.
    const waiting = sent(post({ ticketId: ticket.id, ticketVersion: 2 }, signIn().cookie), 'waiting', answered);
    await waitFor(() => expect(context.memory.ticketReplicaChanges.size).toBe(1));

    const real = await sent(post({ ticketId: ticket.id, ticketVersion: 0 }, signIn().cookie), 'real', answered);

    expect(real.status).toBe(201);
    expect(answered).toEqual(['real']);
    const waited = await waiting;
    expect(answered).toEqual(['real', 'waiting']);
    expect(waited.status).toBe(503);
    expect(waited.body).toEqual({ errors: [{ message: 'The ticket is being updated; please try again' }] });
  });
});

describe('at most MAX_LIVE_ORDERS_PER_BUYER reservations per buyer', () => {
  it('when one buyer fires ten reservations at once, then exactly the limit is placed and the rest get 429', async () => {
    const { cookie } = signIn();
    const seeded = await Promise.all(Array.from({ length: 10 }, () => seedTicket(context.database)));
    const answers = await Promise.all(seeded.map((ticket) => post({ ticketId: ticket.id }, cookie)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
    const refused = answers.find((answer) => answer.status === 429);
    expect(refused?.body).toEqual({ errors: [{ message: 'You already hold 3 reservations' }] });
  });

  it('when a reservation ends, then the buyer may reserve again; other buyers are not limited by it', async () => {
    const { cookie } = signIn();
    const placed = [];
    for (let index = 0; index < 3; index += 1) {
      placed.push((await post({ ticketId: (await seedTicket(context.database)).id }, cookie).expect(201)).body);
    }
    await post({ ticketId: (await seedTicket(context.database)).id }, cookie).expect(429);
    await post({ ticketId: (await seedTicket(context.database)).id }, signIn().cookie).expect(201);

    await request(context.app).delete(`/api/orders/${placed[0].id}`).set('Cookie', cookie).expect(204);
    await post({ ticketId: (await seedTicket(context.database)).id }, cookie).expect(201);
  });
});

describe('reservation attempts per minute', () => {
  it('when one buyer keeps trying to reserve, then 429 past ORDER_RATE_LIMIT_PER_MINUTE, counted per buyer', async () => {
    const limited = buildTestApp(context.database, { ORDER_RATE_LIMIT_PER_MINUTE: '2' });
    const { cookie } = signIn();
    const attempt = (session: string) =>
      request(limited.app).post('/api/orders').set('Cookie', session).send({ ticketId: randomUUID() });
    await attempt(cookie).expect(404);
    await attempt(cookie).expect(404);
    const refused = await attempt(cookie).expect(429);
    expect(refused.body).toEqual({ errors: [{ message: 'Too many reservation attempts; please wait a minute' }] });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await attempt(signIn().cookie).expect(404);
  });
});
