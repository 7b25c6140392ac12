import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { OrderStatus } from '@ticketing/common/events';
import { PASS_CODE_LENGTH } from '@ticketing/common/pass-code';
import { markTicketSold } from '../src/tickets/mark-ticket-sold';
import { reconcileTicketWithOrder } from '../src/tickets/reconcile-ticket-with-order';
import { buildTicket, createTicket, lockForOrder, signIn, useTicketsApp } from './helpers';
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
} from './pass-helpers';

const context = useTicketsApp();

describe('a paid sale issues the pass', () => {
  it('when a ticket is sold, then its buyer holds generation 1, its code names the ticket, and pass.issued says bought', async () => {
    const buyer = await knownUser(context.database, 'buyer@example.com');
    const { ticket, seller } = await ticketBoughtBy(
      context,
      buyer.id,
      buildTicket({ title: 'Jazz night', price: 20, venue: 'Blue Note', startsAt: '2031-06-12T20:00:00+02:00' }),
    );

    const response = await getPass(context.app, buyer.cookie, ticket.id).expect(200);
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(response.body).toEqual({
      ticketId: ticket.id,
      heldTicketId: ticket.id,
      code: expect.stringMatching(new RegExp(`^[A-Z2-7]{${PASS_CODE_LENGTH}}$`)),
      generation: 1,
      holderId: buyer.id,
      holderEmail: 'buyer@example.com',
      title: 'Jazz night',
      venue: 'Blue Note',
      startsAt: '2031-06-12T20:00:00+02:00',
      timeZone: null,
      issuedAt: expect.any(String),
      admittedAt: null,
    });
    expect(context.passSigner.read(response.body.code)).toEqual({ ticketId: ticket.id, generation: 1 });
    expect(await passRow(context.database, ticket.id)).toMatchObject({
      issuerId: seller.user.id,
      heldTicketId: ticket.id,
      holderId: buyer.id,
      generation: 1,
    });
    expect(await codesOf(context.database, ticket.id)).toMatchObject([
      { generation: 1, holderId: buyer.id, voidedAt: null, voidReason: null },
    ]);
    expect(await issuedFor(context.database, ticket.id)).toEqual([
      {
        ticket: { id: ticket.id },
        heldTicketId: ticket.id,
        holderId: buyer.id,
        previousHolderId: null,
        generation: 1,
        reason: 'bought',
      },
    ]);
  });

  it('when the users replica has not heard of the holder yet, then the pass shows holderEmail null', async () => {
    const buyer = signIn();
    const { ticket } = await ticketBoughtBy(context, buyer.user.id);
    expect(await passOf(context.app, buyer.cookie, ticket.id)).toMatchObject({ holderEmail: null, generation: 1 });
  });

  it('when someone else asks for the pass (the seller, a stranger) it is 404, and 401 signed out', async () => {
    const buyer = signIn();
    const { ticket, seller } = await ticketBoughtBy(context, buyer.user.id);
    await getPass(context.app, seller.cookie, ticket.id).expect(404, { errors: [{ message: 'Not found' }] });
    await getPass(context.app, signIn().cookie, ticket.id).expect(404);
    await getPass(context.app, buyer.cookie, randomUUID()).expect(404);
    await request(context.app).get(`/api/tickets/${ticket.id}/pass`).expect(401);
  });

  it('when a ticket is sold again (the same order.completed twice), then the pass stays at generation 1', async () => {
    const buyer = signIn();
    const { ticket, orderId } = await ticketBoughtBy(context, buyer.user.id);
    const again = await context.unitOfWork.transaction((tx, events) =>
      markTicketSold(tx, events, {
        id: orderId,
        ticketId: ticket.id,
        buyer: { buyerId: buyer.user.id, pricePaid: 2000 },
      }),
    );
    expect(again).toBe('already-sold');
    expect(await issuedFor(context.database, ticket.id)).toHaveLength(1);
    expect(await codesOf(context.database, ticket.id)).toHaveLength(1);
  });

  it('when an older order.completed sold the ticket without its buyer, then the restatement that names them issues the pass', async () => {
    const buyer = signIn();
    const ticket = await createTicket(context.app);
    const orderId = await lockForOrder(context.unitOfWork, ticket.id);
    await context.unitOfWork.transaction((tx, events) =>
      markTicketSold(tx, events, { id: orderId, ticketId: ticket.id, buyer: undefined }),
    );
    expect(await passRow(context.database, ticket.id)).toBeUndefined();

    await context.unitOfWork.transaction((tx, events) =>
      reconcileTicketWithOrder(tx, events, {
        id: orderId,
        ticketId: ticket.id,
        status: OrderStatus.Complete,
        buyer: { buyerId: buyer.user.id, pricePaid: 2000 },
      }),
    );
    expect(await passOf(context.app, buyer.cookie, ticket.id)).toMatchObject({
      holderId: buyer.user.id,
      generation: 1,
    });
  });

  it('when a withdrawn ticket is paid for (sold over its withdrawal), then its buyer holds the pass', async () => {
    const seller = signIn();
    const buyer = signIn();
    const ticket = await createTicket(context.app, seller.cookie);
    await request(context.app).delete(`/api/tickets/${ticket.id}`).set('Cookie', seller.cookie).expect(204);
    const outcome = await context.unitOfWork.transaction((tx, events) =>
      markTicketSold(tx, events, {
        id: randomUUID(),
        ticketId: ticket.id,
        buyer: { buyerId: buyer.user.id, pricePaid: 2000 },
      }),
    );
    expect(outcome).toBe('sold-over-withdrawal');
    expect(await passOf(context.app, buyer.cookie, ticket.id)).toMatchObject({
      holderId: buyer.user.id,
      generation: 1,
    });
  });
});

describe('a paid resale moves the pass', () => {
  it('when a resale is paid for, then its buyer holds generation 2 through it, the old code is void (resold), and the seller has nothing', async () => {
    const first = signIn();
    const second = await knownUser(context.database);
    const { ticket } = await ticketBoughtBy(context, first.user.id);
    const { resaleId } = await resoldTo(context, first.cookie, ticket.id, second.id);

    const pass = await passOf(context.app, second.cookie, resaleId);
    expect(pass).toMatchObject({
      ticketId: ticket.id,
      heldTicketId: resaleId,
      generation: 2,
      holderId: second.id,
      holderEmail: second.email,
    });
    expect(context.passSigner.read(pass.code)).toEqual({ ticketId: ticket.id, generation: 2 });
    // The ticket as its issuer listed it names the same pass.
    expect(await passOf(context.app, second.cookie, ticket.id)).toEqual(pass);
    await getPass(context.app, first.cookie, ticket.id).expect(404);
    await getPass(context.app, first.cookie, resaleId).expect(404);
    expect(await ownedBy(context.app, first.cookie)).toEqual([]);
    expect(await ownedBy(context.app, second.cookie)).toMatchObject([
      { id: resaleId, ticketId: ticket.id, generation: 2, admittedAt: null },
    ]);

    expect(await codesOf(context.database, ticket.id)).toMatchObject([
      {
        generation: 1,
        holderId: first.user.id,
        heldTicketId: ticket.id,
        voidReason: 'resold',
        voidedAt: expect.any(Date),
      },
      { generation: 2, holderId: second.id, heldTicketId: resaleId, voidReason: null, voidedAt: null },
    ]);
    expect((await issuedFor(context.database, ticket.id)).at(-1)).toEqual({
      ticket: { id: ticket.id },
      heldTicketId: resaleId,
      holderId: second.id,
      previousHolderId: first.user.id,
      generation: 2,
      reason: 'resold',
    });
  });

  it('when a resale of a resale is paid for, then the pass follows to generation 3, still naming the first listing', async () => {
    const [a, b, c] = [signIn(), signIn(), signIn()];
    const { ticket } = await ticketBoughtBy(context, a.user.id);
    const { resaleId: first } = await resoldTo(context, a.cookie, ticket.id, b.user.id);
    const { resaleId: second } = await resoldTo(context, b.cookie, first, c.user.id);
    expect(await passOf(context.app, c.cookie, second)).toMatchObject({
      ticketId: ticket.id,
      heldTicketId: second,
      generation: 3,
    });
    expect((await codesOf(context.database, ticket.id)).map((code) => code.voidReason)).toEqual([
      'resold',
      'resold',
      null,
    ]);
  });

  it('when the older listing’s completion arrives late (again, or restated), then nothing changes', async () => {
    const [a, b] = [signIn(), signIn()];
    const { ticket, orderId } = await ticketBoughtBy(context, a.user.id);
    const { resaleId } = await resoldTo(context, a.cookie, ticket.id, b.user.id);
    const before = await passRow(context.database, ticket.id);

    await context.unitOfWork.transaction((tx, events) =>
      markTicketSold(tx, events, { id: orderId, ticketId: ticket.id, buyer: { buyerId: a.user.id, pricePaid: 2000 } }),
    );
    await context.unitOfWork.transaction((tx, events) =>
      reconcileTicketWithOrder(tx, events, {
        id: orderId,
        ticketId: ticket.id,
        status: OrderStatus.Complete,
        buyer: { buyerId: a.user.id, pricePaid: 2000 },
      }),
    );

    expect(await passRow(context.database, ticket.id)).toEqual(before);
    expect(before).toMatchObject({ heldTicketId: resaleId, holderId: b.user.id, generation: 2 });
    expect(await issuedFor(context.database, ticket.id)).toHaveLength(2);
    await getPass(context.app, a.cookie, ticket.id).expect(404);
  });
});
