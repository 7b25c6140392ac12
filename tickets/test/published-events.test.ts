import request from 'supertest';
import { users } from '../src/db/schema';
import { createTestBus, recordEvents, waitFor, type TestBus } from '@ticketing/common/testing';
import {
  buildTestApp,
  createTicket,
  createTicketsTestDatabase,
  sellTo,
  signIn,
  type TicketsTestDatabase,
} from './helpers';

let database: TicketsTestDatabase;
let bus: TestBus;

beforeAll(async () => {
  database = await createTicketsTestDatabase();
  bus = await createTestBus();
});
afterAll(async () => {
  await bus.destroy();
  await database.drop();
});

describe('events tickets publishes', () => {
  it('when a ticket is listed and edited, then ticket.created and ticket.updated reach JetStream in cents with their versions', async () => {
    const { app, unitOfWork } = buildTestApp(database);
    unitOfWork.relay.start(bus);
    const created = await recordEvents(bus, 'ticket.created');
    const updated = await recordEvents(bus, 'ticket.updated');
    try {
      const { cookie, user } = signIn();
      const ticket = await createTicket(app, cookie, { title: 'Symphony', price: 20.5 });
      await request(app)
        .put(`/api/tickets/${ticket.id}`)
        .set('Cookie', cookie)
        .send({ title: 'Symphony, balcony', price: 18 })
        .expect(200);

      await waitFor(() =>
        expect(created.events.map((event) => event.data)).toEqual([
          {
            id: ticket.id,
            title: 'Symphony',
            price: 2050,
            userId: user.id,
            orderId: null,
            venue: null,
            startsAt: null,
            timeZone: null,
            version: 0,
          },
        ]),
      );
      await waitFor(() =>
        expect(updated.events.map((event) => event.data)).toEqual([
          {
            id: ticket.id,
            title: 'Symphony, balcony',
            price: 1800,
            userId: user.id,
            orderId: null,
            venue: null,
            startsAt: null,
            timeZone: null,
            version: 1,
          },
        ]),
      );
    } finally {
      await Promise.all([created.stop(), updated.stop(), unitOfWork.relay.stop()]);
    }
  });

  it('when a ticket is sold and its buyer transfers it, then pass.issued reaches JetStream for each holder', async () => {
    const { app, unitOfWork } = buildTestApp(database);
    unitOfWork.relay.start(bus);
    const issued = await recordEvents(bus, 'pass.issued');
    try {
      const ticket = await createTicket(app);
      const buyer = signIn();
      const recipient = signIn();
      await database.db.insert(users).values({ id: recipient.user.id, email: recipient.user.email, version: 0 });
      await sellTo(unitOfWork, ticket.id, buyer.user.id, 2050);
      await request(app)
        .post(`/api/tickets/${ticket.id}/transfer`)
        .set('Cookie', buyer.cookie)
        .send({ email: recipient.user.email })
        .expect(200);

      await waitFor(() =>
        expect(issued.events.map((event) => event.data)).toEqual([
          {
            ticket: { id: ticket.id },
            heldTicketId: ticket.id,
            holderId: buyer.user.id,
            previousHolderId: null,
            generation: 1,
            reason: 'bought',
          },
          {
            ticket: { id: ticket.id },
            heldTicketId: ticket.id,
            holderId: recipient.user.id,
            previousHolderId: buyer.user.id,
            generation: 2,
            reason: 'transferred',
          },
        ]),
      );
    } finally {
      await Promise.all([issued.stop(), unitOfWork.relay.stop()]);
    }
  });
});
