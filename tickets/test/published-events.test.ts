import request from 'supertest';
import { createTestBus, recordEvents, waitFor, type TestBus } from '@ticketing/common/testing';
import { buildTestApp, createTicket, createTicketsTestDatabase, signIn, type TicketsTestDatabase } from './helpers';

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
    const { app, outbox } = buildTestApp(database);
    outbox.startRelay(bus);
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
      await Promise.all([created.stop(), updated.stop(), outbox.stopRelay()]);
    }
  });
});
