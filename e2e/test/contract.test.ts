/**
 * The HTTP contract: every operation of docs/openapi.yaml is called on the real services, through the gateway,
 * on its way to success and to its error statuses, and every answer (status, required headers, body) is held
 * to the document as it arrives (openapi-contract.ts). The routes the services declare must be the document's,
 * and the last test fails for any documented status nothing here provoked: a route or status added to the
 * services or to the document without the other fails here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

import type {
  Charge,
  CheckinAnswer,
  CheckinList,
  DoorTickets,
  ErrorEnvelope,
  Order,
  OwnedTicket,
  Pass,
  PassKey,
  RevokedCodes,
  Ticket,
  TransferResponse,
  User,
  WaitingListEntry,
  WaitingPlace,
} from '@ticketing/common/api';
import { refuseConnections, waitFor } from '@ticketing/common/testing';
import { SERVICES } from '@ticketing/local-stack';
import { EMULATOR_WEBHOOK_SECRET, signWebhookPayload } from '@ticketing/stripe-emulator';

import { buyTicket, expectStatus, pay, useTestStack, waitForReply, waitUntilPaymentsKnows } from './helpers';
import { ApiContract, ContractClient, DOCUMENT_PATH, sendRaw } from './openapi-contract';

const contract = ApiContract.load();

/** The auth limit per client address: every user of this file signs up from the gateway's address. */
const AUTH_LIMIT = 60;
const ORDER_LIMIT = 30;
const PAYMENT_LIMIT = 10;
const ACCOUNT_UPDATE_LIMIT = 5;
/** Live streams one address may hold in a process: every visitor of this file is the gateway's 127.0.0.1. */
const STREAM_SHARE = 3;

const context = useTestStack({
  services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
  env: {
    AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_LIMIT),
    ORDER_RATE_LIMIT_PER_MINUTE: String(ORDER_LIMIT),
    PAYMENT_RATE_LIMIT_PER_MINUTE: String(PAYMENT_LIMIT),
    ACCOUNT_UPDATE_RATE_LIMIT_PER_MINUTE: String(ACCOUNT_UPDATE_LIMIT),
    SSE_MAX_CLIENTS_PER_ADDRESS: String(STREAM_SHARE),
  },
});

const PASSWORD = 'correct horse battery';
let users = 0;

const visitor = () => new ContractClient(contract, context.stack.url);

async function signUp(role: string): Promise<ContractClient> {
  users += 1;
  const email = `${role}-${users}-${randomBytes(4).toString('hex')}@example.com`;
  const client = new ContractClient(contract, context.stack.url, email);
  expectStatus(await client.post<User>('/api/users/signup', { email, password: PASSWORD }), 201);
  return client;
}

async function listTicket(seller: ContractClient, price = 20): Promise<Ticket> {
  return expectStatus(await seller.post<Ticket>('/api/tickets', { title: 'Contract concert', price }), 201).body;
}

const put = <Body>(client: ContractClient, path: string, body: unknown) => client.request<Body>('PUT', path, body);
const patch = <Body>(client: ContractClient, path: string, body: unknown) => client.request<Body>('PATCH', path, body);

/** Sends `send` until it answers `status` (a limit counting up), `attempts` times at most; returns that answer. */
async function sendUntil<R extends { status: number }>(
  status: number,
  attempts: number,
  send: () => Promise<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt += 1) {
    const reply = await send();
    if (reply.status === status || attempt >= attempts) return reply;
  }
}

describe('users (auth)', () => {
  it('when someone signs up, then they get 201 with the account and the session cookie; a taken email is 409 and a short password 400', async () => {
    const email = `contract-${randomBytes(4).toString('hex')}@example.com`;
    const created = expectStatus(await visitor().post<User>('/api/users/signup', { email, password: PASSWORD }), 201);
    expect(created.body).toEqual({ id: expect.any(String), email });

    const taken = expectStatus(
      await visitor().post<ErrorEnvelope>('/api/users/signup', { email, password: PASSWORD }),
      409,
    );
    expect(taken.body.errors).toEqual([{ message: 'Email in use', field: 'email' }]);
    const short = expectStatus(
      await visitor().post<ErrorEnvelope>('/api/users/signup', { email: 'x@example.com', password: 'short' }),
      400,
    );
    expect(short.body.errors.map((error) => error.field)).toEqual(['password']);
  });

  it('when a user signs in, checks who they are and signs out, then each answer is as documented', async () => {
    const user = await signUp('session');
    const signedIn = visitor();
    expectStatus(await signedIn.post('/api/users/signin', { email: user.email, password: PASSWORD }), 200);
    expect(
      expectStatus(
        await signedIn.post<ErrorEnvelope>('/api/users/signin', { email: user.email, password: 'wrong password' }),
        400,
      ).body.errors,
    ).toEqual([{ message: 'Invalid credentials' }]);

    expect(expectStatus(await signedIn.get('/api/users/currentuser'), 200).body).toEqual({
      currentUser: { id: expect.any(String), email: user.email },
    });
    expect(expectStatus(await signedIn.post('/api/users/signout', {}), 200).body).toEqual({});
    expect(expectStatus(await signedIn.get('/api/users/currentuser'), 200).body).toEqual({ currentUser: null });
    // Signing out everywhere needs a session to know whose sessions to end.
    expect(
      expectStatus(await signedIn.post<ErrorEnvelope>('/api/users/signout', { everywhere: true }), 401).body.errors,
    ).toEqual([{ message: expect.any(String) }]);
    expectStatus(await signedIn.post('/api/users/signin', { email: user.email, password: PASSWORD }), 200);
    expect(expectStatus(await signedIn.post('/api/users/signout', { everywhere: true }), 200).body).toEqual({});
    expect(expectStatus(await signedIn.get('/api/users/currentuser'), 200).body).toEqual({ currentUser: null });
  });

  it('when a user changes their account, then 200 with the new email; a wrong current password or nothing to change is 400, a taken email 409, no session 401', async () => {
    const user = await signUp('account');
    const other = await signUp('account-other');
    const newEmail = `renamed-${randomBytes(4).toString('hex')}@example.com`;
    const renamed = expectStatus(
      await patch<User>(user, '/api/users/currentuser', { currentPassword: PASSWORD, email: newEmail }),
      200,
    );
    expect(renamed.body.email).toBe(newEmail);

    expectStatus(
      await patch(user, '/api/users/currentuser', { currentPassword: 'not it', password: 'a new password' }),
      400,
    );
    expectStatus(await patch(user, '/api/users/currentuser', { currentPassword: PASSWORD }), 400);
    expectStatus(await patch(user, '/api/users/currentuser', { currentPassword: PASSWORD, email: other.email }), 409);
    expectStatus(await patch(visitor(), '/api/users/currentuser', { currentPassword: PASSWORD, email: newEmail }), 401);
  });
});

describe('tickets', () => {
  it('when a seller lists and edits a ticket, then 201 and 200 with the ticket; bad input is 400, no session 401, someone else 403, an unknown id 404', async () => {
    const seller = await signUp('seller');
    const stranger = await signUp('stranger');
    const ticket = await listTicket(seller, 25.5);
    expect(ticket).toMatchObject({ price: 25.5, status: 'available', sold: false, version: 0 });

    expectStatus(await seller.post('/api/tickets', { title: '', price: 0.1 }), 400);
    const dated = expectStatus(
      await seller.post<Ticket>('/api/tickets', {
        title: 'Contract opera',
        price: 60,
        venue: 'Palais Garnier',
        startsAt: '2031-06-12T20:00:00+02:00',
      }),
      201,
    );
    expect(dated.body).toMatchObject({ venue: 'Palais Garnier', startsAt: '2031-06-12T20:00:00+02:00' });
    expectStatus(
      await seller.post('/api/tickets', { title: 'Past', price: 10, startsAt: '2001-01-01T20:00:00Z' }),
      400,
    );
    expectStatus(await visitor().post('/api/tickets', { title: 'Anonymous', price: 10 }), 401);

    const edited = expectStatus(
      await put<Ticket>(seller, `/api/tickets/${ticket.id}`, { title: 'Moved', price: '30.00' }),
      200,
    );
    expect(edited.body).toMatchObject({ title: 'Moved', price: 30, version: 1 });
    expectStatus(await put(seller, `/api/tickets/${ticket.id}`, { title: 'Moved', price: 'free' }), 400);
    expectStatus(await put(visitor(), `/api/tickets/${ticket.id}`, { title: 'Mine now', price: 1 }), 401);
    expectStatus(await put(stranger, `/api/tickets/${ticket.id}`, { title: 'Mine now', price: 1 }), 403);
    expectStatus(await put(seller, `/api/tickets/${randomUUID()}`, { title: 'Nothing', price: 1 }), 404);
  });

  it('when anyone reads tickets, then one ticket, pages linked by Link, and "my listings" are as documented', async () => {
    const seller = await signUp('lister');
    const first = await listTicket(seller);
    await listTicket(seller);

    const shown = expectStatus(await visitor().get<Ticket>(`/api/tickets/${first.id}`), 200);
    expect(shown.body.id).toBe(first.id);
    expectStatus(await visitor().get(`/api/tickets/${randomUUID()}`), 404);
    expectStatus(await visitor().get('/api/tickets/not-a-ticket'), 404);

    const page = expectStatus(await visitor().get<Ticket[]>('/api/tickets?limit=1'), 200);
    expect(page.body).toHaveLength(1);
    const next = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1];
    expect(next).toMatch(/^\/api\/tickets\?limit=1&cursor=/);
    expectStatus(await visitor().get(next!), 200);
    expectStatus(await visitor().get('/api/tickets?limit=0'), 400);
    expectStatus(await visitor().get('/api/tickets?cursor=forged'), 400);

    // A search: its next page repeats it before the page's own parameters.
    const searched = expectStatus(
      await visitor().get<Ticket[]>('/api/tickets?q=contract&minPrice=0&maxPrice=999999.99&sort=price&limit=1'),
      200,
    );
    expect(searched.headers.get('link')).toMatch(
      /^<\/api\/tickets\?q=contract&minPrice=0&maxPrice=999999\.99&sort=price&limit=1&cursor=[A-Za-z0-9_-]+>; rel="next"$/,
    );
    expectStatus(await visitor().get('/api/tickets?from=2031-06-01&to=2031-06-30T23:59:59Z&sort=date'), 200);
    expectStatus(await visitor().get('/api/tickets?sort=oldest'), 400);

    const mine = expectStatus(await seller.get<Ticket[]>('/api/tickets/mine'), 200);
    expect(mine.body.map((ticket) => ticket.userId)).toEqual([first.userId, first.userId]);
    expectStatus(await visitor().get('/api/tickets/mine'), 401);
  });
});

describe('orders and payments', () => {
  it('when a buyer reserves, pays, and others try the same order, then every answer on the way is as documented', async () => {
    const seller = await signUp('seller');
    const buyer = await signUp('buyer');
    const rival = await signUp('rival');
    const ticket = await listTicket(seller, 42);

    // The seller's own ticket: 403 once orders knows it (404 until then).
    expectStatus(await waitForReply(() => seller.post('/api/orders', { ticketId: ticket.id }), [404]), 403);
    const order = await buyTicket(buyer, ticket);
    expect(order).toMatchObject({ status: 'created', ticket: { id: ticket.id, price: 42 } });
    expectStatus(await rival.post('/api/orders', { ticketId: ticket.id }), 409);
    expectStatus(await buyer.post('/api/orders', { ticketId: 'not-an-id' }), 400);
    expectStatus(await buyer.post('/api/orders', { ticketId: randomUUID() }), 404);
    expectStatus(await visitor().post('/api/orders', { ticketId: ticket.id }), 401);

    // A reserved ticket cannot be edited, once tickets has mirrored the lock. Anyone sees it reserved; nobody
    // but its buyer learns the order's id.
    await waitFor(async () => {
      const shown = expectStatus(
        await visitor().request<Ticket>('GET', `/api/tickets/${ticket.id}`, undefined, { 'cache-control': 'no-cache' }),
        200,
      ).body;
      expect(shown.status).toBe('reserved');
      expect(JSON.stringify(shown)).not.toContain(order.id);
    });
    expectStatus(await put(seller, `/api/tickets/${ticket.id}`, { title: 'Dearer', price: 50 }), 409);

    expect(expectStatus(await buyer.get<Order[]>('/api/orders'), 200).body.map((each) => each.id)).toContain(order.id);
    expectStatus(await visitor().get('/api/orders'), 401);
    expectStatus(await buyer.get<Order>(`/api/orders/${order.id}`), 200);
    expectStatus(await rival.get(`/api/orders/${order.id}`), 403);
    expectStatus(await buyer.get(`/api/orders/${randomUUID()}`), 404);
    expectStatus(await visitor().get(`/api/orders/${order.id}`), 401);

    await waitUntilPaymentsKnows(buyer, order);
    expect(expectStatus(await buyer.get<Charge[]>(`/api/payments?orderId=${order.id}`), 200).body).toEqual([]);
    expectStatus(await buyer.get('/api/payments'), 400);
    expectStatus(await rival.get(`/api/payments?orderId=${order.id}`), 403);
    expectStatus(await buyer.get(`/api/payments?orderId=${randomUUID()}`), 404);
    expectStatus(await visitor().get(`/api/payments?orderId=${order.id}`), 401);

    expectStatus(await rival.post('/api/payments', { orderId: order.id, paymentMethodId: 'pm_card_visa' }), 403);
    // An order payments never hears of is waited for (ORDER_REPLICA_WAIT_MS): it may be on its way. Then 503.
    const unknownOrder = { orderId: randomUUID(), paymentMethodId: 'pm_card_visa' };
    const notYet = expectStatus(await buyer.post('/api/payments', unknownOrder), 503);
    expect(notYet.headers.get('retry-after')).toBe('1');
    expectStatus(await buyer.post('/api/payments', { orderId: order.id }), 400);
    expectStatus(await visitor().post('/api/payments', { orderId: order.id, paymentMethodId: 'pm_card_visa' }), 401);
    const charge = expectStatus(await pay(buyer, order), 201).body;
    expect(charge).toMatchObject({ orderId: order.id, status: 'completed', amount: 4200, stripeRefundId: null });
    expect(charge.stripeId).toMatch(/^pi_/);
    expectStatus(await pay(buyer, order), 409);

    // A paid order cannot be cancelled, once orders has heard of the payment.
    await waitFor(async () => {
      expect(expectStatus(await buyer.get<Order>(`/api/orders/${order.id}`), 200).body.status).toBe('complete');
    });
    expectStatus(await buyer.delete(`/api/orders/${order.id}`), 409);
    expectStatus(await rival.delete(`/api/orders/${order.id}`), 403);
    expectStatus(await buyer.delete(`/api/orders/${randomUUID()}`), 404);
    expectStatus(await visitor().delete(`/api/orders/${order.id}`), 401);
  });

  it('when a buyer lists a bought ticket again and withdraws it, then "my tickets", the resale and the withdrawal answer as documented', async () => {
    const seller = await signUp('first-seller');
    const owner = await signUp('owner');
    const stranger = await signUp('stranger');
    const ticket = await listTicket(seller, 30);
    const order = await buyTicket(owner, ticket);
    await waitUntilPaymentsKnows(owner, order);
    expectStatus(await pay(owner, order), 201);

    // Tickets learns the owner from order.completed.
    const owned = await waitFor(async () => {
      const reply = expectStatus(await owner.get<OwnedTicket[]>('/api/tickets/owned'), 200);
      expect(reply.body).toEqual([
        {
          id: ticket.id,
          ticketId: ticket.id,
          generation: 1,
          admittedAt: null,
          title: ticket.title,
          venue: null,
          startsAt: null,
          timeZone: null,
          pricePaid: 30,
          maxResalePrice: 30,
          orderId: order.id,
          resale: null,
        },
      ]);
      return reply.body;
    });
    expect(owned).toHaveLength(1);
    expectStatus(await visitor().get('/api/tickets/owned'), 401);

    const tooDear = expectStatus(
      await owner.post<ErrorEnvelope>(`/api/tickets/${ticket.id}/resale`, { price: 30.01 }),
      400,
    );
    expect(tooDear.body.errors).toEqual([{ message: 'Price must be at most 30.00 for this ticket', field: 'price' }]);
    expectStatus(await stranger.post(`/api/tickets/${ticket.id}/resale`, { price: 20 }), 403);
    expectStatus(await owner.post(`/api/tickets/${randomUUID()}/resale`, { price: 20 }), 404);
    expectStatus(await visitor().post(`/api/tickets/${ticket.id}/resale`, { price: 20 }), 401);
    const resale = expectStatus(await owner.post<Ticket>(`/api/tickets/${ticket.id}/resale`, { price: 25 }), 201).body;
    expect(resale).toMatchObject({ title: ticket.title, price: 25, userId: order.userId, resaleOf: ticket.id });
    expectStatus(await owner.post(`/api/tickets/${ticket.id}/resale`, { price: 25 }), 409);

    expectStatus(await stranger.delete(`/api/tickets/${resale.id}`), 403);
    expectStatus(await owner.delete(`/api/tickets/${randomUUID()}`), 404);
    expectStatus(await visitor().delete(`/api/tickets/${resale.id}`), 401);
    expectStatus(await seller.delete(`/api/tickets/${ticket.id}`), 409);
    expectStatus(await owner.delete(`/api/tickets/${resale.id}`), 204);

    // Orders refuses a reservation of the withdrawn ticket once the withdrawal reaches it (404 before it knew
    // the listing at all).
    await waitFor(async () => {
      const refused = await stranger.post<ErrorEnvelope>('/api/orders', { ticketId: resale.id });
      expect([refused.status, refused.body.errors]).toEqual([
        409,
        [{ message: 'The ticket was withdrawn by its seller' }],
      ]);
    });
  });

  it('when a buyer shows their pass and transfers it, then the pass, the transfer and My tickets’ stream answer as documented', async () => {
    const seller = await signUp('pass-seller');
    const owner = await signUp('pass-owner');
    const friend = await signUp('pass-friend');
    const ticket = await listTicket(seller, 20);
    const order = await buyTicket(owner, ticket);
    await waitUntilPaymentsKnows(owner, order);

    const stream = await owner.openStream('/api/tickets/owned/stream');
    try {
      expect(stream.status).toBe(200);
      expectStatus(await pay(owner, order), 201);
      const event = await stream.nextEvent();
      expect([event.name, JSON.parse(event.data)]).toEqual(['owned', { ticketId: ticket.id, generation: 1 }]);
    } finally {
      stream.close();
    }
    // Tickets' copy of the accounts hears of the owner from auth's user.created.
    const pass = await waitFor(async () => {
      const reply = expectStatus(await owner.get<Pass>(`/api/tickets/${ticket.id}/pass`), 200);
      expect(reply.body).toMatchObject({ ticketId: ticket.id, generation: 1, holderEmail: owner.email });
      return reply.body;
    });
    expect(pass.code).toMatch(/^[A-Z2-7]{136}$/);
    expectStatus(await seller.get(`/api/tickets/${ticket.id}/pass`), 404);
    expectStatus(await visitor().get(`/api/tickets/${ticket.id}/pass`), 401);

    const pdf = expectStatus(await owner.get(`/api/tickets/${ticket.id}/pass.pdf`), 200);
    expect(pdf.text.startsWith('%PDF-')).toBe(true);
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="pass-${ticket.id}.pdf"`);
    expectStatus(await seller.get(`/api/tickets/${ticket.id}/pass.pdf`), 404);
    expectStatus(await visitor().get(`/api/tickets/${ticket.id}/pass.pdf`), 401);
    // Listed without a start: nothing to put in a calendar.
    expectStatus(await owner.get(`/api/tickets/${ticket.id}/pass.ics`), 409);
    expectStatus(await seller.get(`/api/tickets/${ticket.id}/pass.ics`), 404);
    expectStatus(await visitor().get(`/api/tickets/${ticket.id}/pass.ics`), 401);
    expect((await visitor().openStream('/api/tickets/owned/stream')).status).toBe(401);

    const transferTo = (from: ContractClient, email: unknown) =>
      from.post<TransferResponse>(`/api/tickets/${ticket.id}/transfer`, { email });
    expectStatus(await transferTo(owner, 'not-an-email'), 400);
    expectStatus(await transferTo(owner, `nobody-${randomBytes(4).toString('hex')}@example.com`), 404);
    expectStatus(await transferTo(seller, friend.email), 404);
    expectStatus(await transferTo(visitor(), friend.email), 401);
    const resale = expectStatus(await owner.post<Ticket>(`/api/tickets/${ticket.id}/resale`, { price: 20 }), 201).body;
    expectStatus(await transferTo(owner, friend.email), 409);
    expectStatus(await owner.delete(`/api/tickets/${resale.id}`), 204);
    const transferred = expectStatus(await waitForReply(() => transferTo(owner, friend.email), [404]), 200).body;
    expect(transferred).toMatchObject({ ticketId: ticket.id, heldTicketId: ticket.id, holderEmail: friend.email });
    expect(transferred.generation).toBe(2);
    expectStatus(await owner.get(`/api/tickets/${ticket.id}/pass`), 404);
    expect(expectStatus(await friend.get<Pass>(`/api/tickets/${ticket.id}/pass`), 200).body.generation).toBe(2);
  });

  it('when a holder adds a dated event to their calendar, then the entry starts at that instant', async () => {
    const seller = await signUp('calendar-seller');
    const owner = await signUp('calendar-owner');
    const ticket = expectStatus(
      await seller.post<Ticket>('/api/tickets', {
        title: 'Contract opera',
        price: 30,
        venue: 'Opéra Garnier',
        startsAt: '2031-01-17T20:00:00+01:00',
        timeZone: 'Europe/Paris',
      }),
      201,
    ).body;
    const order = await buyTicket(owner, ticket);
    await waitUntilPaymentsKnows(owner, order);
    expectStatus(await pay(owner, order), 201);
    const calendar = await waitForReply(() => owner.get(`/api/tickets/${ticket.id}/pass.ics`), [404]);
    expectStatus(calendar, 200);
    expect(calendar.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(calendar.text).toContain('DTSTART:20310117T190000Z');
    expect(calendar.text).toContain('SUMMARY:Contract opera');
  });

  it('when a card is declined, then 402 and the order refuses any further attempt (409); a cancelled order answers 204', async () => {
    const seller = await signUp('seller');
    const buyer = await signUp('decliner');
    const declined = await buyTicket(buyer, await listTicket(seller, 15));
    expectStatus(await pay(buyer, declined, 'pm_card_chargeDeclined'), 402);
    expectStatus(await pay(buyer, declined), 409);

    const cancelled = await buyTicket(buyer, await listTicket(seller, 16));
    expectStatus(await buyer.delete(`/api/orders/${cancelled.id}`), 204);
  });

  it('when a buyer queues for a reserved ticket, lists their places and leaves, then every answer is as documented', async () => {
    const seller = await signUp('seller');
    const holder = await signUp('holder');
    const waiter = await signUp('waiter');
    const ticket = await listTicket(seller, 25);

    // For sale: buy it instead (409), once orders knows the ticket (404 until then).
    expectStatus(await waitForReply(() => waiter.post('/api/orders/waitlist', { ticketId: ticket.id }), [404]), 409);
    const order = await buyTicket(holder, ticket);
    const joined = expectStatus(
      await waiter.post<WaitingListEntry>('/api/orders/waitlist', { ticketId: ticket.id }),
      201,
    );
    expect(joined.body).toEqual({ ticketId: ticket.id, position: 1 });
    expectStatus(await seller.post('/api/orders/waitlist', { ticketId: ticket.id }), 403);
    expectStatus(await waiter.post('/api/orders/waitlist', { ticketId: 'not-an-id' }), 400);
    expectStatus(await waiter.post('/api/orders/waitlist', { ticketId: randomUUID() }), 404);
    expectStatus(await visitor().post('/api/orders/waitlist', { ticketId: ticket.id }), 401);

    expect(expectStatus(await waiter.get<WaitingPlace[]>('/api/orders/waitlist'), 200).body).toEqual([
      {
        ticketId: ticket.id,
        position: 1,
        ticket: { id: ticket.id, title: 'Contract concert', price: 25 },
        joinedAt: expect.any(String),
      },
    ]);
    expectStatus(await visitor().get('/api/orders/waitlist'), 401);

    expectStatus(await waiter.delete(`/api/orders/waitlist/${ticket.id}`), 204);
    expectStatus(await waiter.delete('/api/orders/waitlist/not-an-id'), 404);
    expectStatus(await visitor().delete(`/api/orders/waitlist/${ticket.id}`), 401);

    // Back in line when the holder cancels: the ticket is reserved for the waiter at once.
    expectStatus(await waiter.post('/api/orders/waitlist', { ticketId: ticket.id }), 201);
    expectStatus(await holder.delete(`/api/orders/${order.id}`), 204);
    expect(expectStatus(await waiter.get<Order[]>('/api/orders'), 200).body).toMatchObject([
      { status: 'created', ticket: { id: ticket.id, price: 25 } },
    ]);
  });

  it('when Stripe delivers a signed event, then 200; an unsigned or forged one is 400', async () => {
    const payload = {
      id: `evt_contract_${randomBytes(6).toString('hex')}`,
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    };
    const body = JSON.stringify(payload);
    const webhook = visitor();
    const signature = signWebhookPayload(body, EMULATOR_WEBHOOK_SECRET);
    expect(
      expectStatus(
        await webhook.request('POST', '/api/payments/webhook', payload, { 'stripe-signature': signature }),
        200,
      ).body,
    ).toEqual({
      received: true,
    });
    expectStatus(await webhook.post('/api/payments/webhook', payload), 400);
    expectStatus(
      await webhook.request('POST', '/api/payments/webhook', payload, {
        'stripe-signature': signWebhookPayload(body, 'whsec_forged'),
      }),
      400,
    );
  });
});

describe('what every operation refuses', () => {
  const concretePath = (template: string) => template.replace(/\{[^}]+\}/g, randomUUID());

  it.each(contract.operations().map((operation) => [operation.operationId, operation] as const))(
    '%s: 400 for NUL in the query, 413 for a body over 100 kB',
    async (_name, operation) => {
      const path = concretePath(operation.template);
      const unsafe = await sendRaw(contract, context.stack.url, { method: operation.method, path: `${path}?note=%00` });
      expect(unsafe.status).toBe(400);
      const large = await sendRaw(contract, context.stack.url, {
        method: operation.method,
        path,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ padding: 'x'.repeat(110_000) }),
      });
      expect(large.status).toBe(413);
    },
  );
});

describe('the door', () => {
  it('when an issuer scans the pass of a ticket they sold, then every answer of the door is as documented', async () => {
    const issuer = await signUp('issuer');
    const holder = await signUp('holder');
    const rival = await signUp('door-rival');
    const ticket = await listTicket(issuer, 25);
    expectStatus(await pay(holder, await buyTicket(holder, ticket)), 201);
    // The pass is issued when tickets hears order.completed.
    const pass = expectStatus(
      await waitForReply(() => holder.get<{ code: string }>(`/api/tickets/${ticket.id}/pass`), [404]),
      200,
    ).body;

    const key = expectStatus(await visitor().get<PassKey>('/api/checkins/key'), 200);
    expect(key.body.algorithm).toBe('Ed25519');

    const nonce = randomUUID();
    const admitted = expectStatus(await issuer.post<CheckinAnswer>('/api/checkins', { code: pass.code, nonce }), 201);
    expect(admitted.body).toMatchObject({ result: 'admitted', ticketId: ticket.id });
    const again = expectStatus(await issuer.post<CheckinAnswer>('/api/checkins', { code: pass.code, nonce }), 201);
    expect(again.body).toEqual(admitted.body);
    const second = await issuer.post<CheckinAnswer>('/api/checkins', { code: pass.code, nonce: randomUUID() });
    expect(expectStatus(second, 409).body.result).toBe('already-admitted');
    expectStatus(await rival.post('/api/checkins', { code: pass.code, nonce: randomUUID() }), 403);
    expectStatus(await visitor().post('/api/checkins', { code: pass.code, nonce: randomUUID() }), 401);
    expectStatus(await issuer.post('/api/checkins', { code: 'NOT A CODE', nonce: randomUUID() }), 400);
    // A character of the signature changed: a code of the right shape that the key did not sign.
    const forged = `${pass.code.slice(0, 100)}${pass.code[100] === 'A' ? 'B' : 'A'}${pass.code.slice(101)}`;
    expectStatus(await issuer.post('/api/checkins', { code: forged, nonce: randomUUID() }), 404);

    const listed = expectStatus(await issuer.get<CheckinList>(`/api/checkins?ticketId=${ticket.id}`), 200).body;
    expect(listed.checkins.map((checkin) => checkin.ticketId)).toEqual([ticket.id]);
    expectStatus(await issuer.get<CheckinList>(`/api/checkins?event=${ticket.id}`), 200);
    expectStatus(await issuer.get('/api/checkins?event=not-an-id'), 400);
    expectStatus(await visitor().get('/api/checkins'), 401);

    const revoked = expectStatus(await issuer.get<RevokedCodes>('/api/checkins/revoked'), 200).body;
    expectStatus(await issuer.get(`/api/checkins/revoked?since=${encodeURIComponent(revoked.asOf)}`), 200);
    expectStatus(await issuer.get('/api/checkins/revoked?since=yesterday'), 400);
    expectStatus(await visitor().get('/api/checkins/revoked'), 401);

    const door = expectStatus(await issuer.get<DoorTickets>('/api/checkins/tickets'), 200).body;
    expect(door.tickets.map((each) => [each.ticketId, each.admittedAt !== null])).toEqual([[ticket.id, true]]);
    expectStatus(await visitor().get('/api/checkins/tickets'), 401);
  });
});

describe('live updates', () => {
  it('when anyone watches a ticket, or several, then each stream starts with the ticket as GET shows it; refusals are as documented', async () => {
    const seller = await signUp('streamer');
    const ticket = await listTicket(seller);
    const shown = expectStatus(await visitor().get<Ticket>(`/api/tickets/${ticket.id}`), 200).body;

    const one = await visitor().openStream(`/api/tickets/${ticket.id}/stream`);
    const many = await visitor().openStream(`/api/tickets/stream?ids=${ticket.id},${randomUUID()}`);
    try {
      const snapshot = await one.nextEvent();
      expect([snapshot.name, snapshot.id, JSON.parse(snapshot.data)]).toEqual(['ticket', String(shown.version), shown]);
      const first = await many.nextEvent();
      expect([first.name, first.id, JSON.parse(first.data)]).toEqual(['ticket', undefined, shown]);
    } finally {
      one.close();
      many.close();
    }

    expect((await visitor().openStream(`/api/tickets/${randomUUID()}/stream`)).status).toBe(404);
    const refused = await visitor().openStream('/api/tickets/stream?ids=not-an-id');
    expect([refused.status, JSON.parse(refused.text())]).toEqual([
      400,
      { errors: [{ message: 'ids must be 1 to 100 ticket ids separated by commas', field: 'ids' }] },
    ]);
  });

  it('when a buyer watches their order, then the stream starts with the order as GET shows it; others are refused as documented', async () => {
    const seller = await signUp('stream-seller');
    const buyer = await signUp('stream-buyer');
    const order = await buyTicket(buyer, await listTicket(seller));
    const shown = expectStatus(await buyer.get<Order>(`/api/orders/${order.id}`), 200).body;

    const stream = await buyer.openStream(`/api/orders/${order.id}/stream`);
    try {
      const snapshot = await stream.nextEvent();
      expect([snapshot.name, snapshot.id, JSON.parse(snapshot.data)]).toEqual(['order', String(shown.version), shown]);
    } finally {
      stream.close();
    }

    expect((await visitor().openStream(`/api/orders/${order.id}/stream`)).status).toBe(401);
    expect((await (await signUp('stream-stranger')).openStream(`/api/orders/${order.id}/stream`)).status).toBe(403);
    expect((await buyer.openStream(`/api/orders/${randomUUID()}/stream`)).status).toBe(404);
  });

  it("when one address holds its share of a service's streams, then its next is refused 429 with Retry-After, on every stream route", async () => {
    const seller = await signUp('share-seller');
    const buyer = await signUp('share-buyer');
    const ticket = await listTicket(seller);
    const order = await buyTicket(buyer, await listTicket(seller));
    const held: { close(): void }[] = [];
    /** Opens `path` until it is refused (streams other tests just closed may still count a moment). */
    const openUntilRefused = async (client: ContractClient, path: string) => {
      for (;;) {
        const stream = await client.openStream(path);
        if (stream.status !== 200) return stream;
        held.push(stream);
        expect(held.length).toBeLessThanOrEqual(2 * STREAM_SHARE);
      }
    };
    try {
      const refused = await openUntilRefused(visitor(), `/api/tickets/${ticket.id}/stream`);
      expect([refused.status, refused.headers['retry-after'], JSON.parse(refused.text())]).toEqual([
        429,
        '5',
        { errors: [{ message: 'Too many live updates are open from your address; close some or try again shortly' }] },
      ]);
      // The share is the address's in the whole service: a stream of several tickets too, and My tickets'.
      expect((await visitor().openStream(`/api/tickets/stream?ids=${ticket.id}`)).status).toBe(429);
      expect((await buyer.openStream('/api/tickets/owned/stream')).status).toBe(429);
      expect((await openUntilRefused(buyer, `/api/orders/${order.id}/stream`)).status).toBe(429);
    } finally {
      for (const stream of held) stream.close();
    }
  });
});

describe('a service whose database is unreachable', () => {
  const outages = [
    {
      service: 'auth',
      send: (client: ContractClient) =>
        client.post('/api/users/signin', { email: 'gone@example.com', password: PASSWORD }),
    },
    { service: 'tickets', send: (client: ContractClient) => client.get(`/api/tickets/${randomUUID()}`) },
    { service: 'orders', send: (client: ContractClient) => client.get('/api/orders') },
    { service: 'payments', send: (client: ContractClient) => client.get(`/api/payments?orderId=${randomUUID()}`) },
  ] as const;

  it.each(outages.map((outage) => [outage.service, outage] as const))(
    '%s: answers 503 with Retry-After, as documented',
    async (_name, outage) => {
      const user = await signUp(`outage-${outage.service}`);
      const restore = await refuseConnections(context.stack.databaseName(outage.service));
      try {
        const reply = expectStatus(await waitForReply(() => outage.send(user), [200, 400, 404]), 503);
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
      } finally {
        await restore();
      }
    },
  );
});

describe('limits (last: they leave their counters spent)', () => {
  it('when a user changes their account too often, then 429 with Retry-After', async () => {
    const user = await signUp('impatient');
    const reply = await sendUntil(429, ACCOUNT_UPDATE_LIMIT + 1, () =>
      patch(user, '/api/users/currentuser', { currentPassword: 'a guess', password: 'a new password' }),
    );
    expectStatus(reply, 429);
  });

  it('when a buyer tries to reserve too often, then 429', async () => {
    const buyer = await signUp('hasty');
    expectStatus(
      await sendUntil(429, ORDER_LIMIT + 1, () => buyer.post('/api/orders', { ticketId: 'not-an-id' })),
      429,
    );
  });

  it('when a buyer joins and leaves waiting lists too often, then 429 for each', async () => {
    const buyer = await signUp('fickle');
    expectStatus(
      await sendUntil(429, ORDER_LIMIT + 1, () => buyer.post('/api/orders/waitlist', { ticketId: 'not-an-id' })),
      429,
    );
    expectStatus(await buyer.delete(`/api/orders/waitlist/${randomUUID()}`), 429);
  });

  it('when a buyer tries to pay too often, then 429', async () => {
    const buyer = await signUp('persistent');
    expectStatus(
      await sendUntil(429, PAYMENT_LIMIT + 1, () => buyer.post('/api/payments', { orderId: randomUUID() })),
      429,
    );
  });

  it('when one address signs in and up too often, then 429 for each', async () => {
    const guess = () => visitor().post('/api/users/signin', { email: 'nobody@example.com', password: 'a guess' });
    expectStatus(await sendUntil(429, AUTH_LIMIT + 1, guess), 429);
    const spam = () => visitor().post('/api/users/signup', { email: 'not an email', password: PASSWORD });
    expectStatus(await sendUntil(429, AUTH_LIMIT + 1, spam), 429);
  });
});

describe('the document itself', () => {
  it('has exactly the routes the services declare (read from their sources)', () => {
    // Routes are declared as Router().get('/api/…', …) in every service; a route written otherwise would be
    // missed here, so each service with an /api prefix must show at least one.
    const repoRoot = path.resolve(__dirname, '..', '..');
    const sourcesOf = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const child = path.join(dir, entry.name);
        return entry.isDirectory() ? sourcesOf(child) : entry.name.endsWith('.ts') ? [child] : [];
      });
    const services = SERVICES.filter(
      (service) => service.routes.some((prefix) => prefix.startsWith('/api/')) && service.name !== 'client',
    );
    const declared = services.map((service) => ({
      service: service.name,
      routes: sourcesOf(path.join(repoRoot, service.dir, 'src')).flatMap((file) =>
        [...fs.readFileSync(file, 'utf8').matchAll(/\.(get|post|put|patch|delete)\(\s*'(\/api\/[^']*)'/g)].map(
          ([, method = '', route = '']) => `${method.toUpperCase()} ${route.replace(/:(\w+)/g, '{$1}')}`,
        ),
      ),
    }));
    for (const { service, routes } of declared) expect([service, routes.length > 0]).toEqual([service, true]);
    const documented = contract.operations().map((operation) => `${operation.method} ${operation.template}`);
    expect(declared.flatMap(({ routes }) => routes).sort()).toEqual(documented.sort());
  });

  it('is served through the edge at /api/docs (a page naming every route), /api/docs/openapi.yaml and /api/docs/openapi.json', async () => {
    const written = fs.readFileSync(DOCUMENT_PATH, 'utf8');
    const yaml = await fetch(`${context.stack.url}/api/docs/openapi.yaml`);
    expect([yaml.status, yaml.headers.get('content-type'), await yaml.text()]).toEqual([
      200,
      'application/yaml; charset=utf-8',
      written,
    ]);
    const json = await fetch(`${context.stack.url}/api/docs/openapi.json`);
    expect([json.status, await json.json()]).toEqual([200, parse(written)]);

    const page = await fetch(`${context.stack.url}/api/docs`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const html = await page.text();
    for (const operation of contract.operations()) {
      expect([
        operation.operationId,
        html.includes(`id="${operation.operationId}"`),
        html.includes(`<code>${operation.template}</code>`),
      ]).toEqual([operation.operationId, true, true]);
    }
  });

  it('documents no status that nothing above provoked (but 500, a fault of ours, and 503, staged once per service)', () => {
    // 500 only comes from a bug; 503 from an outage or a crowd, staged above for one route of each service,
    // with admission control's and Stripe's own tests in common and payments.
    expect(contract.unseen((_operationId, status) => status === '500' || status === '503')).toEqual([]);
  });
});
