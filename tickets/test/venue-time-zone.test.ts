import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { buildTicket, recordedFor, sellTo, showTicket, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

const post = (cookie: string) => request(context.app).post('/api/tickets').set('Cookie', cookie);
const put = (id: string, cookie: string) => request(context.app).put(`/api/tickets/${id}`).set('Cookie', cookie);

/** A year from now, so a test's dates stay in the future; December and July fall on either side of DST. */
const YEAR = new Date().getUTCFullYear() + 1;

describe('a ticket with the time zone of its venue', () => {
  it('when a seller names the zone, then the ticket carries it, and the start is shown at the zone’s offset', async () => {
    // 20:00 in Paris in December is 19:00 UTC (CET, +01:00), whatever offset the client wrote it at.
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), startsAt: `${YEAR}-12-12T19:00:00Z`, timeZone: 'Europe/Paris' })
      .expect(201);

    expect(response.body).toMatchObject({ startsAt: `${YEAR}-12-12T20:00:00+01:00`, timeZone: 'Europe/Paris' });
    expect(await showTicket(context.app, response.body.id)).toMatchObject({ timeZone: 'Europe/Paris' });
    expect(await recordedFor(context.database, 'ticket.created', response.body.id)).toEqual([
      expect.objectContaining({ startsAt: `${YEAR}-12-12T20:00:00+01:00`, timeZone: 'Europe/Paris' }),
    ]);
  });

  it('when the start falls in summer time, then the zone’s summer offset is the one shown', async () => {
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), startsAt: `${YEAR}-07-14T20:00:00+02:00`, timeZone: 'Europe/Paris' })
      .expect(201);
    expect(response.body.startsAt).toBe(`${YEAR}-07-14T20:00:00+02:00`);
  });

  it('when the zone is spelled in another case, then it is kept as the zone database spells it', async () => {
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), timeZone: 'america/new_york' })
      .expect(201);
    expect(response.body.timeZone).toBe('America/New_York');
  });

  it.each([
    ['an unknown zone', 'Mars/Olympus_Mons'],
    ['an offset, not a zone', '+02:00'],
    ['an empty text', ''],
    ['a number', 2],
    ['a very long text', `Europe/${'x'.repeat(200)}`],
  ])('when the zone is %s, then it answers 400 naming timeZone, with the envelope', async (_case, timeZone) => {
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), timeZone })
      .expect(400);
    expect(response.body).toEqual({
      errors: [{ message: 'Time zone must be an IANA time zone name, e.g. Europe/Paris', field: 'timeZone' }],
    });
  });

  it('when a client names no zone (as before), then the ticket has none and its start stays at the offset given', async () => {
    const startsAt = `${YEAR}-12-12T20:00:00+05:30`;
    const response = await post(signIn().cookie)
      .send({ ...buildTicket(), startsAt })
      .expect(201);
    expect(response.body).toMatchObject({ startsAt, timeZone: null });
    expect(await recordedFor(context.database, 'ticket.created', response.body.id)).toEqual([
      expect.objectContaining({ startsAt, timeZone: null }),
    ]);
  });

  it('when the seller changes the zone only, then the start is the same instant, shown at the new zone’s offset', async () => {
    const { cookie } = signIn();
    const created = await post(cookie)
      .send({ ...buildTicket(), startsAt: `${YEAR}-12-12T20:00:00+01:00`, timeZone: 'Europe/Paris' })
      .expect(201);

    const moved = await put(created.body.id, cookie)
      .send({ title: created.body.title, price: created.body.price, timeZone: 'Europe/London' })
      .expect(200);
    expect(moved.body).toMatchObject({ startsAt: `${YEAR}-12-12T19:00:00Z`, timeZone: 'Europe/London' });

    const kept = await put(created.body.id, cookie).send({ title: 'Renamed', price: created.body.price }).expect(200);
    expect(kept.body).toMatchObject({ startsAt: `${YEAR}-12-12T19:00:00Z`, timeZone: 'Europe/London' });

    const cleared = await put(created.body.id, cookie)
      .send({ title: 'Renamed', price: created.body.price, timeZone: null })
      .expect(200);
    expect(cleared.body).toMatchObject({ startsAt: `${YEAR}-12-12T19:00:00Z`, timeZone: null });
    expect(
      (await recordedFor(context.database, 'ticket.updated', created.body.id)).map((event) => event.timeZone),
    ).toEqual(['Europe/London', 'Europe/London', null]);
  });

  it('when an edit names a bad zone, then it answers 400 naming timeZone and nothing changes', async () => {
    const { cookie } = signIn();
    const created = await post(cookie)
      .send({ ...buildTicket(), timeZone: 'Asia/Tokyo' })
      .expect(201);
    const response = await put(created.body.id, cookie)
      .send({ title: 'Other', price: 10, timeZone: 'Nowhere/Town' })
      .expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'timeZone' })]);
    expect(await showTicket(context.app, created.body.id)).toMatchObject({ title: created.body.title, version: 0 });
  });

  it('when a bought ticket is listed again, then the resale keeps its zone; My tickets shows it', async () => {
    const { cookie } = signIn();
    const created = await post(cookie)
      .send({ ...buildTicket(), startsAt: `${YEAR}-12-12T20:00:00-05:00`, timeZone: 'America/New_York' })
      .expect(201);
    const buyer = signIn();
    await sellTo(context.unitOfWork, created.body.id, buyer.user.id, 2050);

    const owned = await request(context.app).get('/api/tickets/owned').set('Cookie', buyer.cookie).expect(200);
    expect(owned.body).toEqual([expect.objectContaining({ id: created.body.id, timeZone: 'America/New_York' })]);
    const resale = await request(context.app)
      .post(`/api/tickets/${created.body.id}/resale`)
      .set('Cookie', buyer.cookie)
      .send({ price: 20 })
      .expect(201);
    expect(resale.body).toMatchObject({ startsAt: `${YEAR}-12-12T20:00:00-05:00`, timeZone: 'America/New_York' });
    expect(await recordedFor(context.database, 'ticket.created', resale.body.id)).toEqual([
      expect.objectContaining({ timeZone: 'America/New_York' }),
    ]);
  });

  it('when an unknown ticket is edited with a zone, then it is still a 404', async () => {
    await put(randomUUID(), signIn().cookie).send({ title: 'x', price: 10, timeZone: 'Europe/Paris' }).expect(404);
  });
});
