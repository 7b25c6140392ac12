import { eq } from 'drizzle-orm';
import request from 'supertest';
import { readTicketForReservation } from '../src/db/orders';
import { orders } from '../src/db/schema';
import { HeldTickets } from '../src/orders/held-tickets';
import { seedTicket, signIn, useOrdersApp } from './helpers';

describe('HeldTickets', () => {
  it('when a ticket is remembered, then it counts as held until its time is up or it is forgotten', () => {
    let now = 1_000;
    const held = new HeldTickets(500, 10, () => now);

    held.remember('a');
    held.remember('b');
    expect([held.isHeld('a'), held.isHeld('b'), held.isHeld('c')]).toEqual([true, true, false]);

    held.forget('b');
    now += 499;
    expect([held.isHeld('a'), held.isHeld('b')]).toEqual([true, false]);
    now += 1;
    expect(held.isHeld('a')).toBe(false);
    expect(held.size).toBe(0);
  });

  it('when it is full, then the ticket remembered longest ago makes room', () => {
    const held = new HeldTickets(60_000, 2);
    held.remember('first');
    held.remember('second');
    held.remember('first'); // seen again: now the newest
    held.remember('third');

    expect([held.isHeld('first'), held.isHeld('second'), held.isHeld('third')]).toEqual([true, false, true]);
  });

  it('when its time to live is 0, then it remembers nothing, and an id that is not a string is never held', () => {
    const held = new HeldTickets(0);
    held.remember('a');
    expect(held.isHeld('a')).toBe(false);
    expect(new HeldTickets(1_000).isHeld({ toString: () => 'a' })).toBe(false);
  });
});

describe('POST /api/orders and the memory of held tickets', () => {
  // Two attempts a minute per buyer, so that an attempt counted against the limit would show; a short memory,
  // to see it run out.
  const memoryMs = 500;
  const context = useOrdersApp({ ORDER_RATE_LIMIT_PER_MINUTE: '2', HELD_TICKET_MEMORY_MS: String(memoryMs) });
  const reserve = (ticketId: string, cookie: string) =>
    request(context.app).post('/api/orders').set('Cookie', cookie).send({ ticketId });

  it("when the order holding a ticket vanishes behind this process's back (another replica), then buyers are refused for at most the memory's time, then served", async () => {
    const ticket = await seedTicket(context.database);
    const holder = await reserve(ticket.id, signIn().cookie).expect(201);
    await reserve(ticket.id, signIn().cookie).expect(409);

    // As if another replica had cancelled it: this process was not told.
    await context.database.db.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, holder.body.id));
    const refused = await reserve(ticket.id, signIn().cookie).expect(409);
    expect(refused.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });

    await new Promise((resolve) => setTimeout(resolve, memoryMs + 50));
    await reserve(ticket.id, signIn().cookie).expect(201);
  });

  it('when the holder cancels through this service, then the next buyer gets the ticket at once', async () => {
    const ticket = await seedTicket(context.database);
    const holder = signIn();
    const order = await reserve(ticket.id, holder.cookie).expect(201);
    await reserve(ticket.id, signIn().cookie).expect(409);

    await request(context.app).delete(`/api/orders/${order.body.id}`).set('Cookie', holder.cookie).expect(204);

    await reserve(ticket.id, signIn().cookie).expect(201);
  });

  it('when ten buyers ask for one ticket at once, then one gets it, nine are refused, and only the winner ran a transaction', async () => {
    const ticket = await seedTicket(context.database);
    const transactions = jest.spyOn(context.unitOfWork, 'transactionOpenedBy');
    try {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => reserve(ticket.id, signIn().cookie).then((answer) => answer.status)),
      );

      expect(answers.filter((status) => status === 201)).toHaveLength(1);
      expect(answers.filter((status) => status === 409)).toHaveLength(9);
      // The nine waited for the first attempt in this process and were refused from memory once it had won.
      expect(transactions).toHaveBeenCalledTimes(1);
    } finally {
      transactions.mockRestore();
    }
  });

  it('when one eager buyer sends nine requests for a ticket together with a rival, then one order is placed and every loser hears "already reserved", none "too many attempts"', async () => {
    const ticket = await seedTicket(context.database);
    const eager = signIn();
    const answers = await Promise.all([
      reserve(ticket.id, signIn().cookie),
      ...Array.from({ length: 9 }, () => reserve(ticket.id, eager.cookie)),
    ]);

    // The losers waited for the read or the attempt under way in this process and were refused from memory,
    // before the rate limit (two attempts a minute here) could count them.
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    const losers = answers.filter((answer) => answer.status !== 201);
    expect(losers.map((answer) => answer.status)).toEqual(Array(9).fill(409));
    for (const loser of losers) expect(loser.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
  });

  it("when a refusal comes from memory, then it does not use up the buyer's reservation attempts", async () => {
    const ticket = await seedTicket(context.database);
    await reserve(ticket.id, signIn().cookie).expect(201);
    const eager = signIn();
    const answers = [];
    for (let attempt = 0; attempt < 6; attempt += 1) answers.push((await reserve(ticket.id, eager.cookie)).status);
    expect(new Set(answers)).toEqual(new Set([409]));
  });
});

describe('readTicketForReservation', () => {
  const context = useOrdersApp();

  it('when a live or complete order holds the ticket, then it is held; when its only order is cancelled, or it has none, then it is not', async () => {
    const free = await seedTicket(context.database);
    const live = await seedTicket(context.database);
    const released = await seedTicket(context.database);
    const holder = signIn();
    await request(context.app).post('/api/orders').set('Cookie', holder.cookie).send({ ticketId: live.id }).expect(201);
    const cancelled = await request(context.app)
      .post('/api/orders')
      .set('Cookie', holder.cookie)
      .send({ ticketId: released.id })
      .expect(201);
    await context.database.db.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, cancelled.body.id));

    const read = (id: string) => readTicketForReservation(context.database.db, id);
    expect(await read(free.id)).toEqual({ ticket: expect.objectContaining({ id: free.id }), held: false });
    expect(await read(live.id)).toEqual({ ticket: expect.objectContaining({ id: live.id }), held: true });
    expect((await read(released.id)).held).toBe(false);
    expect(await read('7f1c1f06-4b35-4a53-9a0b-0f9f44c0f2c1')).toEqual({ ticket: undefined, held: false });
  });
});
