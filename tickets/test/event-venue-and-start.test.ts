import request from 'supertest';
import type { TicketView } from '../src/tickets/ticket-view';
import { buildTicket, createTicket, recordedFor, showTicket, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

/** A start `days` from today at 20:00 on a venue clock of `offset`: always in the future for days ≥ 2. */
function startIn(days: number, offset = '+02:00'): string {
  const day = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  return `${day}T20:00:00${offset}`;
}

const post = (cookie: string) => request(context.app).post('/api/tickets').set('Cookie', cookie);
const put = (id: string, cookie: string) => request(context.app).put(`/api/tickets/${id}`).set('Cookie', cookie);

/** Moves a ticket's start into the past, as the clock passing it would (the API refuses a past start). */
async function startEventOf(ticketId: string) {
  await context.database.pool.query(
    "UPDATE tickets SET starts_at = now() - interval '1 minute', starts_at_offset = 0 WHERE id = $1",
    [ticketId],
  );
}

async function listedIds(): Promise<string[]> {
  const response = await request(context.app).get('/api/tickets?limit=100').expect(200);
  return (response.body as TicketView[]).map((ticket) => ticket.id);
}

describe('POST /api/tickets with a venue and a start', () => {
  it('when a seller gives a venue and a start, then the ticket shows both, the start at the offset given', async () => {
    const startsAt = startIn(30);
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), venue: '  Olympia, Paris  ', startsAt })
      .expect(201);

    expect(response.body).toMatchObject({ venue: 'Olympia, Paris', startsAt });
    expect(await showTicket(context.app, response.body.id)).toMatchObject({ venue: 'Olympia, Paris', startsAt });
  });

  it('when created with both, then ticket.created carries the venue and the start for the listeners', async () => {
    const { cookie, user } = signIn();
    const startsAt = startIn(9, '-05:00');
    const response = await post(cookie).send({ title: 'Jazz', price: 40, venue: 'Blue Note', startsAt }).expect(201);

    expect(await recordedFor(context.database, 'ticket.created', response.body.id)).toEqual([
      {
        id: response.body.id,
        title: 'Jazz',
        price: 4000,
        userId: user.id,
        orderId: null,
        venue: 'Blue Note',
        startsAt,
        timeZone: null,
        version: 0,
      },
    ]);
  });

  it.each([
    ['UTC written as Z', '2031-06-12T18:00:00Z', '2031-06-12T18:00:00Z'],
    ['no seconds', '2031-06-12T20:00+02:00', '2031-06-12T20:00:00+02:00'],
    ['milliseconds', '2031-06-12T20:00:00.250+02:00', '2031-06-12T20:00:00.250+02:00'],
    ['a half-hour offset', '2031-06-12T20:00:00+05:30', '2031-06-12T20:00:00+05:30'],
  ])('when the start has %s, then it is kept as that same time', async (_case, startsAt, shown) => {
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), startsAt })
      .expect(201);
    expect(response.body.startsAt).toBe(shown);
    expect(Date.parse(response.body.startsAt)).toBe(Date.parse(startsAt));
  });

  it('when a client sends neither (as before), then the ticket has a null venue and start', async () => {
    const response = await post(signIn().cookie).send(buildTicket()).expect(201);
    expect(response.body).toMatchObject({ venue: null, startsAt: null });
  });

  const VENUE_ERROR = { message: 'Venue must be 1 to 120 characters', field: 'venue' };
  const START_ERROR = {
    message: 'Start must be an ISO 8601 date and time with an offset, e.g. 2031-06-12T20:00:00+02:00',
    field: 'startsAt',
  };
  it.each([
    [{ venue: '' }, VENUE_ERROR],
    [{ venue: '   ' }, VENUE_ERROR],
    [{ venue: 'v'.repeat(121) }, VENUE_ERROR],
    [{ venue: 42 }, VENUE_ERROR],
    [{ startsAt: '2031-06-12T20:00:00' }, START_ERROR],
    [{ startsAt: '2031-06-12' }, START_ERROR],
    [{ startsAt: 'next Friday' }, START_ERROR],
    [{ startsAt: '2031-02-30T20:00:00+01:00' }, START_ERROR],
    [{ startsAt: '2031-06-12T24:30:00+01:00' }, START_ERROR],
    [{ startsAt: '2031-06-12T20:00:00+19:00' }, START_ERROR],
    [{ startsAt: 1_900_000_000_000 }, START_ERROR],
    [{ startsAt: '2020-06-12T20:00:00+02:00' }, { message: 'Start must be in the future', field: 'startsAt' }],
  ])('when the body has %j, then it answers 400 naming the field and lists nothing', async (change, error) => {
    const title = `Refused ${Math.random()}`;
    const response = await post(signIn().cookie)
      .send({ ...buildTicket({ title }), ...change })
      .expect(400);
    expect(response.body).toEqual({ errors: [error] });
    const { rows } = await context.database.pool.query('SELECT 1 FROM tickets WHERE title = $1', [title]);
    expect(rows).toEqual([]);
  });
});

describe('PUT /api/tickets/:id with a venue and a start', () => {
  it('when the seller sets, keeps and clears them, then each edit says so and ticket.updated carries it', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie, { title: 'Opera', price: 50 });
    const startsAt = startIn(12, '+01:00');

    const set = await put(ticket.id, cookie).send({ title: 'Opera', price: 50, venue: 'La Scala', startsAt });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ venue: 'La Scala', startsAt, version: 1 });

    // A client that knows nothing of venue and start changes the title and keeps both.
    const kept = await put(ticket.id, cookie).send({ title: 'Opera, stalls', price: 50 }).expect(200);
    expect(kept.body).toMatchObject({ title: 'Opera, stalls', venue: 'La Scala', startsAt, version: 2 });

    const cleared = await put(ticket.id, cookie)
      .send({ title: 'Opera, stalls', price: 50, venue: null, startsAt: null })
      .expect(200);
    expect(cleared.body).toMatchObject({ venue: null, startsAt: null, version: 3 });

    const base = { id: ticket.id, price: 5000, userId: user.id, orderId: null };
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([
      { ...base, title: 'Opera', venue: 'La Scala', startsAt, timeZone: null, version: 1 },
      { ...base, title: 'Opera, stalls', venue: 'La Scala', startsAt, timeZone: null, version: 2 },
      { ...base, title: 'Opera, stalls', venue: null, startsAt: null, timeZone: null, version: 3 },
    ]);
  });

  it('when the new start is in the past, then it answers 400 naming startsAt and nothing changes', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    const response = await put(ticket.id, cookie)
      .send({ title: ticket.title, price: ticket.price, startsAt: '2001-01-01T20:00:00Z' })
      .expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'Start must be in the future', field: 'startsAt' }] });
    expect(await showTicket(context.app, ticket.id)).toEqual(ticket);
  });
});

describe('a ticket whose event has started', () => {
  it('when its start has passed, then it is no longer listed but is still shown by id', async () => {
    const ticket = await createTicket(context.app, signIn().cookie, buildTicket({ startsAt: startIn(3) }));
    expect(await listedIds()).toContain(ticket.id);

    await startEventOf(ticket.id);

    expect(await listedIds()).not.toContain(ticket.id);
    const shown = await showTicket(context.app, ticket.id);
    expect(Date.parse(shown.startsAt as string)).toBeLessThan(Date.now());
  });

  it('when its seller edits it, then it answers 409 saying the event has started, and nothing changes', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie, buildTicket({ startsAt: startIn(3) }));
    await startEventOf(ticket.id);
    const before = await showTicket(context.app, ticket.id);

    const response = await put(ticket.id, cookie)
      .send({ title: 'Too late', price: 10, startsAt: startIn(5) })
      .expect(409);

    expect(response.body).toEqual({
      errors: [{ message: 'The event has already started; the ticket can no longer be edited' }],
    });
    expect(await showTicket(context.app, ticket.id)).toEqual(before);
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([]);
  });

  it('when someone else edits it, then it is still a 403: who may edit comes first', async () => {
    const ticket = await createTicket(context.app, signIn().cookie, buildTicket({ startsAt: startIn(3) }));
    await startEventOf(ticket.id);
    await put(ticket.id, signIn().cookie).send(buildTicket()).expect(403);
  });

  it('when a ticket has no start, then it stays listed and editable whatever the time', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    expect(await listedIds()).toContain(ticket.id);
    await put(ticket.id, cookie).send({ title: 'Still fine', price: 12 }).expect(200);
  });
});
