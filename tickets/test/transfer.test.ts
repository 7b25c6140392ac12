import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { checkins } from '../src/db/schema';
import { markTicketSold } from '../src/tickets/mark-ticket-sold';
import { buildTicket, signIn, useTicketsApp } from './helpers';
import {
  codesOf,
  getPass,
  issuedFor,
  knownUser,
  ownedBy,
  passOf,
  passRow,
  resoldTo,
  ticketBoughtBy,
  transfer,
} from './pass-helpers';

const context = useTicketsApp();

/** A ticket bought by a user the replica knows; the holder and the ticket. */
async function heldTicket(body = buildTicket({ price: 20 })) {
  const holder = await knownUser(context.database);
  const { ticket } = await ticketBoughtBy(context, holder.id, body);
  return { holder, ticket };
}

async function admit(ticketId: string, holderId: string) {
  const pass = await passRow(context.database, ticketId);
  if (!pass) throw new Error('no pass to admit');
  await context.database.db.insert(checkins).values({
    ticketId,
    issuerId: pass.issuerId,
    generation: pass.generation,
    holderId,
    nonce: randomUUID(),
  });
}

describe('POST /api/tickets/:id/transfer', () => {
  it('when the holder transfers to a known email, then the recipient holds the next generation and the giver’s code is void (transferred)', async () => {
    const { holder, ticket } = await heldTicket();
    const recipient = await knownUser(context.database, `friend-${randomUUID()}@example.com`);

    // Typed as people type: capitals and spaces; auth stores addresses normalised.
    const response = await transfer(
      context.app,
      holder.cookie,
      ticket.id,
      `  ${recipient.email.toUpperCase()} `,
    ).expect(200);
    expect(response.body).toEqual({
      ticketId: ticket.id,
      heldTicketId: ticket.id,
      holderEmail: recipient.email,
      generation: 2,
      transferredAt: expect.any(String),
    });

    const pass = await passOf(context.app, recipient.cookie, ticket.id);
    expect(pass).toMatchObject({ generation: 2, holderId: recipient.id, holderEmail: recipient.email });
    expect(context.passSigner.read(pass.code)).toEqual({ ticketId: ticket.id, generation: 2 });
    await getPass(context.app, holder.cookie, ticket.id).expect(404);
    expect(await ownedBy(context.app, holder.cookie)).toEqual([]);
    expect(await ownedBy(context.app, recipient.cookie)).toMatchObject([
      { id: ticket.id, ticketId: ticket.id, generation: 2, admittedAt: null },
    ]);
    expect(await codesOf(context.database, ticket.id)).toMatchObject([
      { generation: 1, holderId: holder.id, voidReason: 'transferred', voidedAt: expect.any(Date) },
      { generation: 2, holderId: recipient.id, voidReason: null, voidedAt: null },
    ]);
    expect((await issuedFor(context.database, ticket.id)).at(-1)).toEqual({
      ticket: { id: ticket.id },
      heldTicketId: ticket.id,
      holderId: recipient.id,
      previousHolderId: holder.id,
      generation: 2,
      reason: 'transferred',
    });
  });

  it('when the recipient lists it again, then they may (they hold the pass) and the giver may not', async () => {
    const { holder, ticket } = await heldTicket();
    const recipient = await knownUser(context.database);
    await transfer(context.app, holder.cookie, ticket.id, recipient.email).expect(200);
    await request(context.app)
      .post(`/api/tickets/${ticket.id}/resale`)
      .set('Cookie', holder.cookie)
      .send({ price: 20 })
      .expect(403);
    await request(context.app)
      .post(`/api/tickets/${ticket.id}/resale`)
      .set('Cookie', recipient.cookie)
      .send({ price: 20 })
      .expect(201);
  });

  it('when no account uses the email, then 404 naming email, and the holder keeps the ticket', async () => {
    const { holder, ticket } = await heldTicket();
    await transfer(context.app, holder.cookie, ticket.id, 'nobody-here@example.com').expect(404, {
      errors: [{ message: 'No account uses this email', field: 'email' }],
    });
    expect(await passOf(context.app, holder.cookie, ticket.id)).toMatchObject({ generation: 1, holderId: holder.id });
    expect(await codesOf(context.database, ticket.id)).toHaveLength(1);
  });

  it('when the email is not an email, or is the holder’s own, then 400 naming email', async () => {
    const { holder, ticket } = await heldTicket();
    for (const email of ['not-an-email', '', 42, undefined]) {
      await transfer(context.app, holder.cookie, ticket.id, email).expect(400, {
        errors: [{ message: 'Email must be valid', field: 'email' }],
      });
    }
    await transfer(context.app, holder.cookie, ticket.id, holder.email.toUpperCase()).expect(400, {
      errors: [{ message: 'You already hold this ticket', field: 'email' }],
    });
    expect(await passRow(context.database, ticket.id)).toMatchObject({ generation: 1, holderId: holder.id });
  });

  it('when the caller does not hold the pass (a stranger, the seller, an unknown ticket), then 404; signed out 401', async () => {
    const recipient = await knownUser(context.database);
    const holder = await knownUser(context.database);
    const { ticket, seller } = await ticketBoughtBy(context, holder.id);
    await transfer(context.app, signIn().cookie, ticket.id, recipient.email).expect(404, {
      errors: [{ message: 'Not found' }],
    });
    await transfer(context.app, seller.cookie, ticket.id, recipient.email).expect(404);
    await transfer(context.app, holder.cookie, randomUUID(), recipient.email).expect(404);
    await request(context.app).post(`/api/tickets/${ticket.id}/transfer`).send({ email: recipient.email }).expect(401);
    expect(await passRow(context.database, ticket.id)).toMatchObject({ generation: 1, holderId: holder.id });
  });

  it('when the event has started, then 409 and the holder keeps it', async () => {
    const { holder, ticket } = await heldTicket(buildTicket({ startsAt: new Date(Date.now() + 60_000).toISOString() }));
    const recipient = await knownUser(context.database);
    await context.database.pool.query(`UPDATE tickets SET starts_at = now() - interval '1 minute' WHERE id = $1`, [
      ticket.id,
    ]);
    await transfer(context.app, holder.cookie, ticket.id, recipient.email).expect(409, {
      errors: [{ message: 'The event has already started' }],
    });
    expect(await passRow(context.database, ticket.id)).toMatchObject({ generation: 1, holderId: holder.id });
  });

  it('when a resale listing of the ticket is live, then 409; once it is withdrawn, the transfer goes through', async () => {
    const { holder, ticket } = await heldTicket();
    const recipient = await knownUser(context.database);
    const resale = await request(context.app)
      .post(`/api/tickets/${ticket.id}/resale`)
      .set('Cookie', holder.cookie)
      .send({ price: 20 })
      .expect(201);
    await transfer(context.app, holder.cookie, ticket.id, recipient.email).expect(409, {
      errors: [{ message: 'This ticket is listed for resale; withdraw the listing first' }],
    });
    await request(context.app).delete(`/api/tickets/${resale.body.id}`).set('Cookie', holder.cookie).expect(204);
    await transfer(context.app, holder.cookie, ticket.id, recipient.email).expect(200);
  });

  it('when the ticket was admitted, then a transfer and a resale listing are 409', async () => {
    const { holder, ticket } = await heldTicket();
    const recipient = await knownUser(context.database);
    await admit(ticket.id, holder.id);
    await transfer(context.app, holder.cookie, ticket.id, recipient.email).expect(409, {
      errors: [{ message: 'This ticket has already been admitted' }],
    });
    await request(context.app)
      .post(`/api/tickets/${ticket.id}/resale`)
      .set('Cookie', holder.cookie)
      .send({ price: 20 })
      .expect(409, { errors: [{ message: 'This ticket has already been admitted' }] });
    expect(await passOf(context.app, holder.cookie, ticket.id)).toMatchObject({
      generation: 1,
      admittedAt: expect.any(String),
    });
    expect(await ownedBy(context.app, holder.cookie)).toMatchObject([
      { id: ticket.id, admittedAt: expect.any(String) },
    ]);
  });

  it('when a resold ticket is transferred by its new holder, then it names the resale listing and the first listing alike', async () => {
    const first = signIn();
    const second = await knownUser(context.database);
    const recipient = await knownUser(context.database);
    const { ticket } = await ticketBoughtBy(context, first.user.id);
    const { resaleId } = await resoldTo(context, first.cookie, ticket.id, second.id);
    const response = await transfer(context.app, second.cookie, resaleId, recipient.email).expect(200);
    expect(response.body).toMatchObject({ ticketId: ticket.id, heldTicketId: resaleId, generation: 3 });
    expect(await passOf(context.app, recipient.cookie, resaleId)).toMatchObject({ generation: 3 });
    expect(await passOf(context.app, recipient.cookie, ticket.id)).toMatchObject({
      heldTicketId: resaleId,
      generation: 3,
    });
  });
});

describe('transfers racing', () => {
  it('when ten transfers of one ticket race to ten recipients, then exactly one wins from each holder state, never two holders', async () => {
    const { holder, ticket } = await heldTicket();
    let current = holder;
    for (const generation of [2, 3]) {
      const recipients = await Promise.all(Array.from({ length: 10 }, () => knownUser(context.database)));
      const responses = await Promise.all(
        recipients.map((recipient) => transfer(context.app, current.cookie, ticket.id, recipient.email)),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, ...Array(9).fill(404)]);
      const winner = recipients[responses.findIndex((response) => response.status === 200)]!;

      expect(await passRow(context.database, ticket.id)).toMatchObject({ holderId: winner.id, generation });
      const codes = await codesOf(context.database, ticket.id);
      expect(codes.map((code) => code.generation)).toEqual(Array.from({ length: generation }, (_, index) => index + 1));
      expect(codes.filter((code) => code.voidedAt === null)).toMatchObject([{ generation, holderId: winner.id }]);
      const holders = await Promise.all(
        [current, ...recipients].map(async (user) => (await getPass(context.app, user.cookie, ticket.id)).status),
      );
      expect(holders.filter((status) => status === 200)).toHaveLength(1);
      current = winner;
    }
  });

  it('when a withdrawn resale is paid for after the holder transferred the ticket, then the paid buyer holds the current code and the recipient’s is void', async () => {
    // The one race tickets cannot decide: orders completed an order of the listing before it applied the
    // withdrawal. Simulated in order: withdraw, transfer, then the listing's order.completed (sold over the
    // withdrawal).
    const { holder, ticket } = await heldTicket();
    const recipient = await knownUser(context.database);
    const buyer = await knownUser(context.database);
    const resale = await request(context.app)
      .post(`/api/tickets/${ticket.id}/resale`)
      .set('Cookie', holder.cookie)
      .send({ price: 20 })
      .expect(201);
    await request(context.app).delete(`/api/tickets/${resale.body.id}`).set('Cookie', holder.cookie).expect(204);
    await transfer(context.app, holder.cookie, ticket.id, recipient.email).expect(200);

    const outcome = await context.unitOfWork.transaction((tx, events) =>
      markTicketSold(tx, events, {
        id: randomUUID(),
        ticketId: resale.body.id,
        buyer: { buyerId: buyer.id, pricePaid: 2000 },
      }),
    );
    expect(outcome).toBe('sold-over-withdrawal');

    const pass = await passOf(context.app, buyer.cookie, resale.body.id);
    expect(pass).toMatchObject({ ticketId: ticket.id, heldTicketId: resale.body.id, generation: 3 });
    expect(context.passSigner.read(pass.code)).toEqual({ ticketId: ticket.id, generation: 3 });
    await getPass(context.app, recipient.cookie, ticket.id).expect(404);
    expect(await ownedBy(context.app, recipient.cookie)).toEqual([]);
    expect(await codesOf(context.database, ticket.id)).toMatchObject([
      { generation: 1, holderId: holder.id, voidReason: 'transferred' },
      { generation: 2, holderId: recipient.id, voidReason: 'resold', voidedAt: expect.any(Date) },
      { generation: 3, holderId: buyer.id, voidReason: null },
    ]);
    expect((await issuedFor(context.database, ticket.id)).at(-1)).toMatchObject({
      holderId: buyer.id,
      previousHolderId: recipient.id,
      reason: 'resold',
    });
  });
});
