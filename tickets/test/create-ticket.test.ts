import request from 'supertest';
import { eq } from 'drizzle-orm';
import { tickets } from '../src/db/schema';
import { buildTicket, recordedFor, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

const post = (cookie?: string) => {
  const call = request(context.app).post('/api/tickets');
  return cookie ? call.set('Cookie', cookie) : call;
};

const TITLE_ERROR = { message: 'Title must be 1 to 120 characters', field: 'title' };
const PRICE_ERROR = { message: 'Price must be from 0.50 to 999999.99 with at most 2 decimals', field: 'price' };

describe('POST /api/tickets', () => {
  it('when nobody is signed in, then it answers 401 and lists nothing', async () => {
    const response = await post()
      .send(buildTicket({ title: 'Anonymous listing' }))
      .expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
    expect(await context.database.db.select().from(tickets).where(eq(tickets.title, 'Anonymous listing'))).toEqual([]);
  });

  it('when the input is valid, then it answers 201 with the ticket for sale at version 0, price as a decimal', async () => {
    const { cookie, user } = signIn();
    const response = await post(cookie).send({ title: '  Cats, front row  ', price: 20.5 }).expect(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      title: 'Cats, front row',
      price: 20.5,
      userId: user.id,
      status: 'available',
      sold: false,
      venue: null,
      startsAt: null,
      timeZone: null,
      resaleOf: null,
      withdrawn: false,
      version: 0,
      createdAt: expect.any(String),
    });
    expect(new Date(response.body.createdAt).toISOString()).toBe(response.body.createdAt);
  });

  it('when created, then the database holds the price in cents', async () => {
    const response = await post(signIn().cookie)
      .send(buildTicket({ price: 1234.56 }))
      .expect(201);
    const [row] = await context.database.db.select().from(tickets).where(eq(tickets.id, response.body.id));
    expect(row?.price).toBe(123_456);
    expect(response.body.price).toBe(1234.56);
  });

  it('when created, then ticket.created is recorded in the outbox in cents with version 0', async () => {
    const { cookie, user } = signIn();
    const response = await post(cookie).send({ title: 'Opera', price: 99.99 }).expect(201);
    expect(await recordedFor(context.database, 'ticket.created', response.body.id)).toEqual([
      {
        id: response.body.id,
        title: 'Opera',
        price: 9999,
        userId: user.id,
        orderId: null,
        venue: null,
        startsAt: null,
        timeZone: null,
        version: 0,
      },
    ]);
  });

  it.each([
    ['a price as a numeric string', '20.50', 20.5],
    ['the smallest price', 0.5, 0.5],
    ['the largest price', 999_999.99, 999_999.99],
  ])('when given %s, then it is accepted', async (_case, price, shown) => {
    const response = await post(signIn().cookie).send(buildTicket({ price })).expect(201);
    expect(response.body.price).toBe(shown);
  });

  it('when the title is exactly 120 characters, then it is accepted', async () => {
    await post(signIn().cookie)
      .send(buildTicket({ title: 't'.repeat(120) }))
      .expect(201);
  });

  it.each([
    ['no title', { price: 10 }, TITLE_ERROR],
    ['an empty title', { title: '', price: 10 }, TITLE_ERROR],
    ['a title of spaces', { title: '   ', price: 10 }, TITLE_ERROR],
    ['a 121-character title', { title: 'x'.repeat(121), price: 10 }, TITLE_ERROR],
    ['a title that is a number', { title: 42, price: 10 }, TITLE_ERROR],
    ['a title that is an array', { title: ['Concert'], price: 10 }, TITLE_ERROR],
    ['no price', { title: 'Concert' }, PRICE_ERROR],
    ['price "abc"', { title: 'Concert', price: 'abc' }, PRICE_ERROR],
    ['price 0', { title: 'Concert', price: 0 }, PRICE_ERROR],
    ['a negative price', { title: 'Concert', price: -5 }, PRICE_ERROR],
    ['price 10.999', { title: 'Concert', price: 10.999 }, PRICE_ERROR],
    ['a price Stripe cannot charge, under 0.50', { title: 'Concert', price: 0.49 }, PRICE_ERROR],
    ['a price of 1,000,000', { title: 'Concert', price: 1_000_000 }, PRICE_ERROR],
    ['a price that is a boolean', { title: 'Concert', price: true }, PRICE_ERROR],
    ['a price that is an object', { title: 'Concert', price: { amount: 10 } }, PRICE_ERROR],
    ['a price that is null', { title: 'Concert', price: null }, PRICE_ERROR],
  ])('when the body has %s, then it answers 400 naming the field', async (_case, body, error) => {
    const response = await post(signIn().cookie).send(body).expect(400);
    expect(response.body).toEqual({ errors: [error] });
  });

  it('when both fields are wrong, then it answers 400 naming both', async () => {
    const { cookie } = signIn();
    const response = await post(cookie).send({ title: '', price: 0 }).expect(400);
    expect(response.body).toEqual({ errors: [TITLE_ERROR, PRICE_ERROR] });
  });

  it('when every field is wrong, then it answers 400 naming each once, in the order of the form, and nothing is listed', async () => {
    const before = await context.database.db.select().from(tickets);
    const response = await post(signIn().cookie)
      .send({ title: ' ', price: 'abc', venue: '', startsAt: '2001-01-01T20:00:00+01:00', timeZone: 'Mars/Olympus' })
      .expect(400);
    expect(response.body).toEqual({
      errors: [
        TITLE_ERROR,
        PRICE_ERROR,
        { message: 'Venue must be 1 to 120 characters', field: 'venue' },
        { message: 'Start must be in the future', field: 'startsAt' },
        { message: 'Time zone must be an IANA time zone name, e.g. Europe/Paris', field: 'timeZone' },
      ],
    });
    expect(await context.database.db.select().from(tickets)).toHaveLength(before.length);
  });

  it('when the title and venue have spaces around them and emoji in them, then they are kept trimmed, an emoji counting as one character', async () => {
    const title = '🎸'.repeat(120);
    const response = await post(signIn().cookie)
      .send(buildTicket({ title: `  ${title}\n`, venue: '\t Olympia ' }))
      .expect(201);
    expect(response.body).toMatchObject({ title, venue: 'Olympia' });
    await post(signIn().cookie)
      .send(buildTicket({ title: '🎸'.repeat(121) }))
      .expect(400);
  });

  it('when the body is malformed JSON, then it answers 400 with the envelope', async () => {
    const response = await post(signIn().cookie)
      .set('Content-Type', 'application/json')
      .send('{"title": "Concert", "price": ')
      .expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
  });
});
