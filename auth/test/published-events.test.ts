import request from 'supertest';
import { createTestBus, recordEvents, waitFor, type TestBus } from '@ticketing/common/testing';
import { buildTestApp, createAuthTestDatabase, signUp, type AuthTestDatabase } from './helpers';

let database: AuthTestDatabase;
let bus: TestBus;

beforeAll(async () => {
  database = await createAuthTestDatabase();
  bus = await createTestBus();
});
afterAll(async () => {
  await bus.destroy();
  await database.drop();
});

describe('events auth publishes', () => {
  it('when a user signs up and changes email, then user.created and user.updated reach JetStream with their versions', async () => {
    const { app, unitOfWork } = buildTestApp(database);
    unitOfWork.relay.start(bus);
    const created = await recordEvents(bus, 'user.created');
    const updated = await recordEvents(bus, 'user.updated');
    try {
      const { cookie, user, credentials } = await signUp(app);
      await request(app)
        .patch('/api/users/currentuser')
        .set('Cookie', cookie)
        .send({ currentPassword: credentials.password, email: `renamed-${user.email}` })
        .expect(200);

      await waitFor(() =>
        expect(created.events.map((event) => event.data)).toEqual([{ id: user.id, email: user.email, version: 0 }]),
      );
      await waitFor(() =>
        expect(updated.events.map((event) => event.data)).toEqual([
          { id: user.id, email: `renamed-${user.email}`, version: 1 },
        ]),
      );
    } finally {
      await Promise.all([created.stop(), updated.stop(), unitOfWork.relay.stop()]);
    }
  });
});
