import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { OwnedTicket } from '@ticketing/common/api';
import { maxResalePriceCents } from '../src/tickets/resale-price-cap';
import {
  buildTestApp,
  buildTicket,
  createTicket,
  lockForOrder,
  recordedFor,
  sellTo,
  signIn,
  useTicketsApp,
} from './helpers';

const context = useTicketsApp();

/** A ticket listed by someone and bought by a new user at `pricePaid` cents; the buyer's cookie and the ticket. */
async function boughtTicket(pricePaid = 2050, listingPrice = 20.5) {
  const ticket = await createTicket(context.app, signIn().cookie, buildTicket({ price: listingPrice }));
  const buyer = signIn();
  const orderId = await sellTo(context.unitOfWork, ticket.id, buyer.user.id, pricePaid);
  return { ticket, buyer, orderId };
}

const resell = (id: string, cookie: string | undefined, price: unknown, app = context.app) => {
  const call = request(app).post(`/api/tickets/${id}/resale`);
  return (cookie ? call.set('Cookie', cookie) : call).send({ price });
};

const owned = async (cookie: string): Promise<OwnedTicket[]> =>
  (await request(context.app).get('/api/tickets/owned').set('Cookie', cookie).expect(200)).body;

describe('GET /api/tickets/owned', () => {
  it('when a user bought a ticket, then it lists it with the price the order paid, the cap and no resale', async () => {
    // The listing says 30.00 but the order was placed at 25.00: the buyer paid 25.00.
    const { ticket, buyer, orderId } = await boughtTicket(2500, 30);
    expect(await owned(buyer.cookie)).toEqual([
      {
        id: ticket.id,
        ticketId: ticket.id,
        generation: 1,
        admittedAt: null,
        title: ticket.title,
        venue: null,
        startsAt: null,
        timeZone: null,
        pricePaid: 25,
        maxResalePrice: 25,
        orderId,
        resale: null,
      },
    ]);
  });

  it('when someone else asks, then they do not see the buyer’s tickets; the seller does not own what they sold', async () => {
    const sellerCookie = signIn().cookie;
    const ticket = await createTicket(context.app, sellerCookie);
    await sellTo(context.unitOfWork, ticket.id, randomUUID(), 2050);
    expect(await owned(signIn().cookie)).toEqual([]);
    expect(await owned(sellerCookie)).toEqual([]);
  });

  it('when nobody is signed in, then it answers 401', async () => {
    await request(context.app).get('/api/tickets/owned').expect(401);
  });
});

describe('POST /api/tickets/:id/resale', () => {
  it('when the owner lists a bought ticket again, then it answers 201 with a new ticket for sale naming it', async () => {
    const { ticket, buyer, orderId } = await boughtTicket();
    const response = await resell(ticket.id, buyer.cookie, 19.99).expect(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      title: ticket.title,
      price: 19.99,
      userId: buyer.user.id,
      status: 'available',
      sold: false,
      venue: null,
      startsAt: null,
      timeZone: null,
      resaleOf: ticket.id,
      withdrawn: false,
      version: 0,
      createdAt: expect.any(String),
    });
    expect(response.body.id).not.toBe(ticket.id);
    const listed = (await request(context.app).get('/api/tickets?limit=100').expect(200)).body;
    expect(listed).toContainEqual(response.body);
    expect(await owned(buyer.cookie)).toEqual([
      {
        id: ticket.id,
        ticketId: ticket.id,
        generation: 1,
        admittedAt: null,
        title: ticket.title,
        venue: null,
        startsAt: null,
        timeZone: null,
        pricePaid: 20.5,
        maxResalePrice: 20.5,
        orderId,
        resale: response.body,
      },
    ]);
    expect(await recordedFor(context.database, 'ticket.created', response.body.id)).toEqual([
      {
        id: response.body.id,
        title: ticket.title,
        price: 1999,
        userId: buyer.user.id,
        orderId: null,
        venue: null,
        startsAt: null,
        timeZone: null,
        version: 0,
      },
    ]);
  });

  it('when the bought ticket has a venue and a start, then My tickets shows them and the resale lists the same event, at the same offset', async () => {
    const startsAt = '2031-06-12T20:00:00+02:00';
    const ticket = await createTicket(
      context.app,
      signIn().cookie,
      buildTicket({ price: 20.5, venue: 'Zénith Paris', startsAt }),
    );
    const buyer = signIn();
    await sellTo(context.unitOfWork, ticket.id, buyer.user.id, 2050);
    expect(await owned(buyer.cookie)).toMatchObject([{ id: ticket.id, venue: 'Zénith Paris', startsAt, resale: null }]);
    const response = await resell(ticket.id, buyer.cookie, 20).expect(201);
    expect(response.body).toMatchObject({ title: ticket.title, venue: 'Zénith Paris', startsAt, resaleOf: ticket.id });
    const [created] = await recordedFor(context.database, 'ticket.created', response.body.id);
    expect(created).toMatchObject({ venue: 'Zénith Paris', startsAt });
  });

  it('when the event has started, then the ticket cannot be listed again: 409', async () => {
    const ticket = await createTicket(
      context.app,
      signIn().cookie,
      buildTicket({ startsAt: new Date(Date.now() + 60_000).toISOString() }),
    );
    const buyer = signIn();
    await sellTo(context.unitOfWork, ticket.id, buyer.user.id, 2050);
    await context.database.pool.query(`UPDATE tickets SET starts_at = now() - interval '1 minute' WHERE id = $1`, [
      ticket.id,
    ]);
    const response = await resell(ticket.id, buyer.cookie, 10).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'The event has already started' }] });
    expect(await owned(buyer.cookie)).toMatchObject([{ id: ticket.id, resale: null }]);
  });

  it('when the price is the price paid exactly, then it is accepted; one cent more is a 400 naming price and the maximum', async () => {
    const { ticket, buyer } = await boughtTicket(2050);
    const refused = await resell(ticket.id, buyer.cookie, 20.51).expect(400);
    expect(refused.body).toEqual({
      errors: [{ message: 'Price must be at most 20.50 for this ticket', field: 'price' }],
    });
    await resell(ticket.id, buyer.cookie, '20.50').expect(201);
  });

  it('when RESALE_PRICE_CAP is 1.2, then the cap is the price paid × 1.2 rounded down to the cent', async () => {
    const { app } = buildTestApp(context.database, { RESALE_PRICE_CAP: '1.2' });
    const { ticket, buyer } = await boughtTicket(1005);
    // 10.05 × 1.2 = 12.06 exactly.
    const refused = await resell(ticket.id, buyer.cookie, 12.07, app).expect(400);
    expect(refused.body.errors).toEqual([{ message: 'Price must be at most 12.06 for this ticket', field: 'price' }]);
    await resell(ticket.id, buyer.cookie, 12.06, app).expect(201);
  });

  it('when the product has a fraction of a cent, then the cap rounds it down', () => {
    expect(maxResalePriceCents(1005, 1.1)).toBe(1105);
    expect(maxResalePriceCents(999, 1.15)).toBe(1148);
    expect(maxResalePriceCents(2050, 1)).toBe(2050);
  });

  it('when anyone but the owner asks (the original seller included), then it answers 403', async () => {
    const sellerCookie = signIn().cookie;
    const ticket = await createTicket(context.app, sellerCookie);
    await sellTo(context.unitOfWork, ticket.id, randomUUID(), 2050);
    for (const cookie of [sellerCookie, signIn().cookie]) {
      const response = await resell(ticket.id, cookie, 10).expect(403);
      expect(response.body).toEqual({ errors: [{ message: 'You do not own this ticket' }] });
    }
  });

  it('when the ticket is not sold yet, then nobody owns it: 403', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await resell(ticket.id, cookie, 10).expect(403);
  });

  it('when the ticket is unknown, then 404; signed out, 401; no valid price, 400 naming price', async () => {
    const { ticket, buyer } = await boughtTicket();
    await resell(randomUUID(), buyer.cookie, 10).expect(404);
    await resell(ticket.id, undefined, 10).expect(401);
    const response = await resell(ticket.id, buyer.cookie, 'ten').expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'price' })]);
  });

  it('when it is already listed again, then 409; once that listing is withdrawn, it may be listed again', async () => {
    const { ticket, buyer } = await boughtTicket();
    const first = (await resell(ticket.id, buyer.cookie, 15).expect(201)).body;
    const refused = await resell(ticket.id, buyer.cookie, 16).expect(409);
    expect(refused.body).toEqual({ errors: [{ message: 'This ticket is already listed again' }] });
    await request(context.app).delete(`/api/tickets/${first.id}`).set('Cookie', buyer.cookie).expect(204);
    const second = (await resell(ticket.id, buyer.cookie, 16).expect(201)).body;
    expect((await owned(buyer.cookie))[0]?.resale).toEqual(second);
  });

  it('when the resale listing is sold, then its seller no longer holds the ticket: 403, and My tickets no longer lists it', async () => {
    const { ticket, buyer } = await boughtTicket();
    const resale = (await resell(ticket.id, buyer.cookie, 15).expect(201)).body;
    await sellTo(context.unitOfWork, resale.id, randomUUID(), 1500);
    await resell(ticket.id, buyer.cookie, 15).expect(403, { errors: [{ message: 'You do not own this ticket' }] });
    expect(await owned(buyer.cookie)).toEqual([]);
  });

  it('when the owner sends ten resale requests at once, then exactly one is listed and the others answer 409', async () => {
    const { ticket, buyer } = await boughtTicket();
    const responses = await Promise.all(Array.from({ length: 10 }, () => resell(ticket.id, buyer.cookie, 10)));
    expect(responses.map((response) => response.status).sort()).toEqual([201, ...Array(9).fill(409)]);
  });

  it('when the owner edits the resale listing, then it stays under the cap', async () => {
    const { ticket, buyer } = await boughtTicket(2050);
    const resale = (await resell(ticket.id, buyer.cookie, 15).expect(201)).body;
    const put = (price: number) =>
      request(context.app)
        .put(`/api/tickets/${resale.id}`)
        .set('Cookie', buyer.cookie)
        .send({ title: 'Renamed', price });
    const refused = await put(20.51).expect(400);
    expect(refused.body.errors).toEqual([{ message: 'Price must be at most 20.50 for this ticket', field: 'price' }]);
    expect((await put(20.5).expect(200)).body).toMatchObject({ title: 'Renamed', price: 20.5, resaleOf: ticket.id });
  });
});

describe('DELETE /api/tickets/:id', () => {
  const withdraw = (id: string, cookie?: string) => {
    const call = request(context.app).delete(`/api/tickets/${id}`);
    return cookie ? call.set('Cookie', cookie) : call;
  };

  it('when the seller withdraws an unreserved listing, then 204, it leaves the list and ticket.updated says withdrawn', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie);
    const response = await withdraw(ticket.id, cookie).expect(204);
    expect(response.text).toBe('');
    expect((await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200)).body).toEqual({
      ...ticket,
      status: 'withdrawn',
      withdrawn: true,
      version: 1,
    });
    const listed = (await request(context.app).get('/api/tickets?limit=100').expect(200)).body as { id: string }[];
    expect(listed.map((listing) => listing.id)).not.toContain(ticket.id);
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([
      {
        id: ticket.id,
        title: ticket.title,
        price: 2050,
        userId: user.id,
        orderId: null,
        venue: null,
        startsAt: null,
        timeZone: null,
        withdrawn: true,
        version: 1,
      },
    ]);
  });

  it('when withdrawn twice, then the second changes nothing and answers 204', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await withdraw(ticket.id, cookie).expect(204);
    await withdraw(ticket.id, cookie).expect(204);
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toHaveLength(1);
  });

  it('when withdrawn, then it can no longer be edited (409)', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await withdraw(ticket.id, cookie).expect(204);
    const response = await request(context.app)
      .put(`/api/tickets/${ticket.id}`)
      .set('Cookie', cookie)
      .send(buildTicket())
      .expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'Ticket was withdrawn and cannot be edited' }] });
  });

  it('when someone else withdraws it, then 403 and it stays listed', async () => {
    const ticket = await createTicket(context.app);
    const response = await withdraw(ticket.id, signIn().cookie).expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'You do not own this ticket' }] });
    expect((await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200)).body.withdrawn).toBe(false);
  });

  it('when an order holds it, or it is sold, then 409', async () => {
    const { cookie } = signIn();
    const reserved = await createTicket(context.app, cookie);
    await lockForOrder(context.unitOfWork, reserved.id);
    expect((await withdraw(reserved.id, cookie).expect(409)).body).toEqual({
      errors: [{ message: 'Ticket is reserved and cannot be withdrawn' }],
    });
    const sold = await createTicket(context.app, cookie);
    await sellTo(context.unitOfWork, sold.id, randomUUID(), 2050);
    expect((await withdraw(sold.id, cookie).expect(409)).body).toEqual({
      errors: [{ message: 'Ticket is sold and cannot be withdrawn' }],
    });
  });

  it('when the ticket is unknown or the id malformed, then 404; signed out, 401', async () => {
    const { cookie } = signIn();
    await withdraw(randomUUID(), cookie).expect(404);
    await withdraw('not-a-uuid', cookie).expect(404);
    await withdraw((await createTicket(context.app)).id).expect(401);
  });
});
