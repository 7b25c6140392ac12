import request from 'supertest';
import type { TicketView } from '../src/tickets/ticket-view';
import { createTicket, lockForOrder, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

describe('GET /api/tickets/mine', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const response = await request(context.app).get('/api/tickets/mine').expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it("when a seller asks, then it lists only the seller's tickets, reserved ones included, newest first", async () => {
    const seller = signIn();
    const first = await createTicket(context.app, seller.cookie);
    const second = await createTicket(context.app, seller.cookie);
    await createTicket(context.app);
    await lockForOrder(context.unitOfWork, first.id);

    const response = await request(context.app).get('/api/tickets/mine').set('Cookie', seller.cookie).expect(200);
    // The seller's own list: no cache may keep it, let alone hand it to someone else.
    expect(response.headers['cache-control']).toBe('no-store');
    const mine = response.body as TicketView[];
    expect(mine.map((ticket) => ticket.id)).toEqual([second.id, first.id]);
    expect(mine[1]).toMatchObject({ status: 'reserved', sold: false, userId: seller.user.id });
  });

  it('when a seller has no tickets, then the list is empty', async () => {
    await request(context.app).get('/api/tickets/mine').set('Cookie', signIn().cookie).expect(200, []);
  });
});
