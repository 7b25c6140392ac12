import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Express } from 'express';
import request from 'supertest';
import type { UnitOfWork } from '@ticketing/common/outbox';
import type { OwnedTicket, Pass } from '@ticketing/common/api';
import { passCodes, passes, users } from '../src/db/schema';
import { markTicketSold } from '../src/tickets/mark-ticket-sold';
import {
  buildTicket,
  createTicket,
  lockForOrder,
  recordedPayloads,
  sellTo,
  signIn,
  type TicketsTestDatabase,
} from './helpers';

/** A signed-in user the users replica knows (as if auth's user.created had arrived): cookie, id and email. */
export async function knownUser(database: TicketsTestDatabase, email = `${randomUUID()}@example.com`) {
  const signedIn = signIn();
  await database.db.insert(users).values({ id: signedIn.user.id, email, version: 0 });
  return { cookie: signedIn.cookie, id: signedIn.user.id, email };
}

/** A ticket listed by a new seller and bought by `buyerId` through its order's events; the ticket and the order. */
export async function ticketBoughtBy(
  context: { app: Express; unitOfWork: UnitOfWork },
  buyerId: string,
  body = buildTicket({ price: 20 }),
) {
  const seller = signIn();
  const ticket = await createTicket(context.app, seller.cookie, body);
  const orderId = await sellTo(context.unitOfWork, ticket.id, buyerId, 2000);
  return { ticket, orderId, seller };
}

/** The holder lists `heldId` again and `buyerId` pays for the resale; the resale listing's id and its order. */
export async function resoldTo(
  context: { app: Express; unitOfWork: UnitOfWork },
  holderCookie: string,
  heldId: string,
  buyerId: string,
) {
  const resale = await request(context.app)
    .post(`/api/tickets/${heldId}/resale`)
    .set('Cookie', holderCookie)
    .send({ price: 20 })
    .expect(201);
  const orderId = await sellTo(context.unitOfWork, resale.body.id, buyerId, 2000);
  return { resaleId: resale.body.id as string, orderId };
}

/** Completes a sale whose order already holds the ticket (the order.completed listener's step). */
export function completeSale(unitOfWork: UnitOfWork, ticketId: string, orderId: string, buyerId: string) {
  return unitOfWork.transaction((tx, events) =>
    markTicketSold(tx, events, { id: orderId, ticketId, buyer: { buyerId, pricePaid: 2000 } }),
  );
}

export { lockForOrder };

export const getPass = (app: Express, cookie: string, id: string) =>
  request(app).get(`/api/tickets/${id}/pass`).set('Cookie', cookie);

export async function passOf(app: Express, cookie: string, id: string): Promise<Pass> {
  return (await getPass(app, cookie, id).expect(200)).body;
}

export async function ownedBy(app: Express, cookie: string): Promise<OwnedTicket[]> {
  return (await request(app).get('/api/tickets/owned').set('Cookie', cookie).expect(200)).body;
}

export const transfer = (app: Express, cookie: string, id: string, email: unknown) =>
  request(app).post(`/api/tickets/${id}/transfer`).set('Cookie', cookie).send({ email });

/** The pass row of a ticket as its issuer listed it. */
export async function passRow(database: TicketsTestDatabase, ticketId: string) {
  const [row] = await database.db.select().from(passes).where(eq(passes.ticketId, ticketId));
  return row;
}

/** Every code of a ticket's pass, oldest generation first. */
export function codesOf(database: TicketsTestDatabase, ticketId: string) {
  return database.db
    .select()
    .from(passCodes)
    .where(eq(passCodes.ticketId, ticketId))
    .orderBy(asc(passCodes.generation));
}

/** The `pass.issued` payloads recorded for a ticket as its issuer listed it, oldest first. */
export async function issuedFor(database: TicketsTestDatabase, ticketId: string) {
  return (await recordedPayloads(database, 'pass.issued')).filter((payload) => payload.ticket.id === ticketId);
}
