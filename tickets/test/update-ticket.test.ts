import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { waitFor } from '@ticketing/common/testing';
import { buildTicket, createTicket, lockForOrder, recordedFor, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

const put = (id: string, cookie?: string) => {
  const call = request(context.app).put(`/api/tickets/${id}`);
  return cookie ? call.set('Cookie', cookie) : call;
};

describe('PUT /api/tickets/:id', () => {
  it('when the owner edits a ticket for sale, then it answers 200 with the change at version 1', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie);
    const response = await put(ticket.id, cookie).send({ title: ' Renamed ', price: 30 }).expect(200);
    expect(response.body).toEqual({ ...ticket, title: 'Renamed', price: 30, userId: user.id, version: 1 });
    await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200, response.body);
  });

  it('when edited twice, then ticket.updated is recorded in cents for each version', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await put(ticket.id, cookie).send({ title: 'First', price: 10.1 }).expect(200);
    await put(ticket.id, cookie).send({ title: 'Second', price: 10.25 }).expect(200);
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([
      {
        id: ticket.id,
        title: 'First',
        price: 1010,
        userId: user.id,
        orderId: null,
        venue: null,
        startsAt: null,
        timeZone: null,
        version: 1,
      },
      {
        id: ticket.id,
        title: 'Second',
        price: 1025,
        userId: user.id,
        orderId: null,
        venue: null,
        startsAt: null,
        timeZone: null,
        version: 2,
      },
    ]);
  });

  it('when nobody is signed in, then it answers 401', async () => {
    const ticket = await createTicket(context.app);
    const response = await put(ticket.id).send(buildTicket()).expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it.each([
    ['an unknown id', randomUUID()],
    ['a malformed id', 'not-a-uuid'],
  ])('when the ticket is %s, then it answers 404', async (_case, id) => {
    const response = await put(id, signIn().cookie).send(buildTicket()).expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when someone else edits the ticket, then it answers 403 and nothing changes', async () => {
    const ticket = await createTicket(context.app);
    const response = await put(ticket.id, signIn().cookie).send({ title: 'Mine now', price: 1 }).expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'You do not own this ticket' }] });
    await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200, ticket);
  });

  it('when the ticket is locked by an order, then it answers 409 and nothing changes', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await lockForOrder(context.unitOfWork, ticket.id);
    const response = await put(ticket.id, cookie).send({ title: 'Dearer', price: 999 }).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'Ticket is reserved and cannot be edited' }] });
    await request(context.app)
      .get(`/api/tickets/${ticket.id}`)
      .expect(200, { ...ticket, status: 'reserved', version: 1 });
  });

  it.each([
    [
      { title: '', price: 10 },
      { message: 'Title must be 1 to 120 characters', field: 'title' },
    ],
    [
      { title: 'x'.repeat(121), price: 10 },
      { message: 'Title must be 1 to 120 characters', field: 'title' },
    ],
    [
      { title: 'Concert', price: 'abc' },
      { message: 'Price must be from 0.50 to 999999.99 with at most 2 decimals', field: 'price' },
    ],
    [
      { title: 'Concert', price: 0 },
      { message: 'Price must be from 0.50 to 999999.99 with at most 2 decimals', field: 'price' },
    ],
    [
      { title: 'Concert', price: 10.999 },
      { message: 'Price must be from 0.50 to 999999.99 with at most 2 decimals', field: 'price' },
    ],
    [{ title: 'Concert' }, { message: 'Price must be from 0.50 to 999999.99 with at most 2 decimals', field: 'price' }],
  ])('when the body is %j, then it answers 400 naming the field', async (body, error) => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    const response = await put(ticket.id, cookie).send(body).expect(400);
    expect(response.body).toEqual({ errors: [error] });
  });

  it('when the ticket changes between the read and the write, then it answers 409 and keeps the other change', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    // Another writer (a lock arriving, say) holds the row with a newer version, not yet committed.
    const other = await context.database.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query("UPDATE tickets SET title = 'Changed elsewhere', version = version + 1 WHERE id = $1", [
        ticket.id,
      ]);
      const edit = put(ticket.id, cookie)
        .send({ title: 'My edit', price: 12 })
        .then((response) => response);
      // The edit has read version 0 and now waits for the row behind the other writer.
      await waitFor(async () => {
        const waiting = await context.database.pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        expect(waiting.rowCount).toBe(1);
      });
      await other.query('COMMIT');

      const response = await edit;
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ errors: [{ message: 'Ticket was changed at the same time; please try again' }] });
    } finally {
      other.release();
    }
    const shown = await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200);
    expect(shown.body).toMatchObject({ title: 'Changed elsewhere', version: 1 });
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([]);
  });
});
