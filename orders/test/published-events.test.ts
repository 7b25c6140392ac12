import request from 'supertest';
import { createTestBus, recordEvents, waitFor, type TestBus } from '@ticketing/common/testing';
import { buildTestApp, createOrdersTestDatabase, seedTicket, signIn, type OrdersTestDatabase } from './helpers';

let database: OrdersTestDatabase;
let bus: TestBus;

beforeAll(async () => {
  database = await createOrdersTestDatabase();
  bus = await createTestBus();
});
afterAll(async () => {
  await bus.destroy();
  await database.drop();
});

describe('events orders publishes', () => {
  it('when a buyer orders and then cancels, then order.created and order.cancelled reach JetStream', async () => {
    const { app, unitOfWork } = buildTestApp(database);
    unitOfWork.relay.start(bus);
    const created = await recordEvents(bus, 'order.created');
    const cancelled = await recordEvents(bus, 'order.cancelled');
    try {
      const ticket = await seedTicket(database, { price: 1500 });
      const { cookie, user } = signIn();
      const order = await request(app).post('/api/orders').set('Cookie', cookie).send({ ticketId: ticket.id });
      expect(order.status).toBe(201);
      await request(app).delete(`/api/orders/${order.body.id}`).set('Cookie', cookie).expect(204);

      await waitFor(() =>
        expect(created.events.map((event) => event.data)).toEqual([
          {
            id: order.body.id,
            userId: user.id,
            status: 'created',
            expiresAt: order.body.expiresAt,
            ticket: { id: ticket.id, price: 1500, startsAt: null },
            version: 0,
          },
        ]),
      );
      await waitFor(() =>
        expect(cancelled.events.map((event) => event.data)).toEqual([
          { id: order.body.id, ticket: { id: ticket.id }, version: 1, reason: 'buyer' },
        ]),
      );
    } finally {
      await Promise.all([created.stop(), cancelled.stop(), unitOfWork.relay.stop()]);
    }
  });
});
