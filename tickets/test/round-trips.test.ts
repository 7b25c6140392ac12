import { randomUUID } from 'node:crypto';
import { countRoundTrips, createTestLogger } from '@ticketing/common/testing';
import type { EventData, EventEnvelope, Subject } from '@ticketing/common/events';
import { eq } from 'drizzle-orm';
import { releasedOrders, tickets } from '../src/db/schema';
import { ticketsListeners } from '../src/events';
import { createTicket, recordedFor, showTicketWithHolder, useTicketsApp } from './helpers';

const context = useTicketsApp();
const logger = createTestLogger();

/** Hands one event to the tickets listener of its subject, as the bus would; resolves to the round trips it took. */
async function applyEvent<S extends Subject>(subject: S, data: EventData<S>): Promise<string[]> {
  const listener = ticketsListeners(context.unitOfWork).find((definition) => definition.subject === subject);
  if (!listener) throw new Error(`no tickets listener hears ${subject}`);
  const event = { id: randomUUID(), subject, occurredAt: new Date().toISOString(), data } as EventEnvelope<S>;
  const { statements } = await countRoundTrips(() => listener.handle(event as never, { deliveryCount: 1, logger }));
  return statements;
}

const orderCreated = (ticketId: string, id = randomUUID(), userId = randomUUID()): EventData<'order.created'> => ({
  id,
  userId,
  status: 'created',
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  ticket: { id: ticketId, price: 2050 },
  version: 0,
});

const holderOf = async (ticketId: string) =>
  (await showTicketWithHolder(context.app, context.database, ticketId)).orderId;

// A flash sale and an expiry burst are these events by the thousand: each round trip is CPU on both sides.
describe('round trips to PostgreSQL per order event (tickets)', () => {
  it('when an order is created, then locking its ticket takes three: the inbox with BEGIN, the row lock and the lock unless released in one text, ticket.updated with COMMIT', async () => {
    const ticket = await createTicket(context.app);
    const order = orderCreated(ticket.id);
    const statements = await applyEvent('order.created', order);
    expect(await holderOf(ticket.id)).toBe(order.id);
    expect(statements).toEqual([
      expect.stringMatching(/^begin; insert into processed_events/),
      expect.stringMatching(
        /^(PREPARE .*; )?EXECUTE tickets_text_lock_row\('[^']+'\); EXECUTE tickets_text_take_for_order\('[^']+', '[^']+'\)$/,
      ),
      expect.stringMatching(/^insert into outbox .*; commit$/),
    ]);
  });

  it('when an order is cancelled, then freeing its ticket takes three: the inbox with BEGIN, the row lock with the release recorded and the ticket freed in one text, ticket.updated with COMMIT', async () => {
    const ticket = await createTicket(context.app);
    const order = orderCreated(ticket.id);
    await applyEvent('order.created', order);
    const statements = await applyEvent('order.cancelled', { id: order.id, ticket: { id: ticket.id }, version: 1 });
    expect(await holderOf(ticket.id)).toBeNull();
    expect(statements).toEqual([
      expect.stringMatching(/^begin; insert into processed_events/),
      expect.stringMatching(
        /^(PREPARE .*; )?EXECUTE tickets_text_lock_row\('[^']+'\); EXECUTE tickets_text_release_and_free\('[^']+', '[^']+'\)$/,
      ),
      expect.stringMatching(/^insert into outbox .*; commit$/),
    ]);
    const [released] = await context.database.db
      .select()
      .from(releasedOrders)
      .where(eq(releasedOrders.orderId, order.id));
    expect(released).toMatchObject({ orderId: order.id, handedOverTo: null });
  });

  it('when a restatement cancels an order whose cancellation handed the ticket over, then the lock follows the hand-over, not freed', async () => {
    const ticket = await createTicket(context.app);
    const first = orderCreated(ticket.id);
    const next = orderCreated(ticket.id);
    await applyEvent('order.created', first);
    await applyEvent('order.cancelled', {
      id: first.id,
      ticket: { id: ticket.id },
      version: 1,
      handedOverTo: { id: next.id },
    });
    expect(await holderOf(ticket.id)).toBe(next.id);
    // The ticket came back to the first order in this made-up history: its restatement must follow the hand-over.
    await context.database.db.update(tickets).set({ orderId: first.id }).where(eq(tickets.id, ticket.id));
    const statements = await applyEvent('order.cancelled', { id: first.id, ticket: { id: ticket.id }, version: 1 });
    expect(statements.some((statement) => /EXECUTE tickets_text_release_and_free\(/.test(statement))).toBe(true);
    expect(await holderOf(ticket.id)).toBe(next.id);
  });

  it('when a cancelled order is created late, then the one lock statement finds the release and the ticket stays for sale', async () => {
    const ticket = await createTicket(context.app);
    const order = orderCreated(ticket.id);
    await applyEvent('order.cancelled', { id: order.id, ticket: { id: ticket.id }, version: 1 });
    const statements = await applyEvent('order.created', order);
    expect(await holderOf(ticket.id)).toBeNull();
    expect(statements.some((statement) => /EXECUTE tickets_text_take_for_order\(/.test(statement))).toBe(true);
    expect(
      (await recordedFor(context.database, 'ticket.updated', ticket.id)).map((payload) => payload.version),
    ).toEqual([]);
  });

  it('when an order is completed, then selling its ticket and issuing the pass takes eight', async () => {
    const ticket = await createTicket(context.app);
    const order = orderCreated(ticket.id);
    await applyEvent('order.created', order);
    const statements = await applyEvent('order.completed', {
      id: order.id,
      userId: order.userId,
      ticket: { id: ticket.id, price: 2050 },
      version: 1,
    });
    expect(await showTicketWithHolder(context.app, context.database, ticket.id)).toMatchObject({ orderId: order.id });
    expect(statements).toHaveLength(8);
    expect(statements[2]).toMatch(/^\[tickets_mark_sold\]/);
  });
});
