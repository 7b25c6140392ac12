import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { collectDeadLetters, publishRaw, waitFor } from '@ticketing/common/testing';
import type { EventData } from '@ticketing/common/events';
import { users } from '../src/db/schema';
import { handledBy, useTicketListeners, useTicketsApp } from './helpers';

const context = useTicketsApp();
const running = useTicketListeners(context);

const DURABLE = 'tickets-users';

const userAt = (id: string, version: number, email = `user-${id.slice(0, 8)}-v${version}@example.com`) =>
  ({ id, email, version }) satisfies EventData<'user.created'>;

async function replicaOf(id: string) {
  const [row] = await context.database.db.select().from(users).where(eq(users.id, id));
  return row;
}

describe('user.created and user.updated → the users replica (tickets-users)', () => {
  it('when a user signs up and changes their email, then the replica holds the new email at version 1', async () => {
    const id = randomUUID();
    await running.bus.publish('user.created', userAt(id, 0, 'ann@example.com'));
    const updated = await running.bus.publish('user.updated', userAt(id, 1, 'ann.b@example.com'));
    await handledBy(context.database, DURABLE, updated.id);
    expect(await replicaOf(id)).toEqual({ id, email: 'ann.b@example.com', version: 1 });
  });

  it('when version 2 arrives before version 1, then it is applied after version 1', async () => {
    const id = randomUUID();
    const created = await running.bus.publish('user.created', userAt(id, 0));
    await handledBy(context.database, DURABLE, created.id);
    const early = await running.bus.publish('user.updated', userAt(id, 2, 'third@example.com'));
    // Tried and put back while version 1 is missing.
    await waitFor(async () => {
      const consumer = await running.bus.manager.consumers.info(running.bus.options.stream, DURABLE);
      expect(consumer.num_redelivered).toBeGreaterThanOrEqual(1);
    });
    expect(await replicaOf(id)).toMatchObject({ version: 0 });

    await running.bus.publish('user.updated', userAt(id, 1, 'second@example.com'));
    await handledBy(context.database, DURABLE, early.id);
    expect(await replicaOf(id)).toEqual({ id, email: 'third@example.com', version: 2 });
  });

  it('when a version already applied arrives again, then it changes nothing', async () => {
    const id = randomUUID();
    await running.bus.publish('user.created', userAt(id, 0));
    const latest = await running.bus.publish('user.updated', userAt(id, 1, 'kept@example.com'));
    await handledBy(context.database, DURABLE, latest.id);
    const stale = await running.bus.publish('user.updated', userAt(id, 1, 'stale@example.com'));
    await handledBy(context.database, DURABLE, stale.id);
    expect(await replicaOf(id)).toEqual({ id, email: 'kept@example.com', version: 1 });
  });

  it('when user.created carries a payload failing its schema, then it is terminated, dead-lettered and never applied', async () => {
    const dead = collectDeadLetters(running.bus, DURABLE);
    const id = randomUUID();
    const raw = JSON.stringify({
      id: randomUUID(),
      subject: 'user.created',
      occurredAt: new Date().toISOString(),
      data: { id, email: 'not an email', version: 0 },
    });
    try {
      await publishRaw(running.bus, 'user.created', raw);
      await waitFor(() => expect(dead.received).toHaveLength(1));
      expect(dead.received[0]).toMatchObject({ payload: raw });
      // One consumer, in order: once a later event is handled, the malformed one is settled for good.
      const later = await running.bus.publish('user.created', userAt(randomUUID(), 0));
      await handledBy(context.database, DURABLE, later.id);
      expect(await replicaOf(id)).toBeUndefined();
      const consumer = await running.bus.manager.consumers.info(running.bus.options.stream, DURABLE);
      expect(consumer.num_ack_pending).toBe(0);
    } finally {
      dead.stop();
    }
  });
});
