import { randomUUID } from 'node:crypto';
import { RetryLaterError } from '@ticketing/common/bus';
import { UnitOfWork } from '@ticketing/common/outbox';
import { type EventData, type EventEnvelope } from '@ticketing/common/events';
import { countRoundTrips, createTestLogger } from '@ticketing/common/testing';
import { orderExpiredListener } from '../src/events/order-expired-listener';
import { ticketEventsListener } from '../src/events/ticket-events-listener';
import { completeOrder } from '../src/orders/complete-order';
import { createOrder } from '../src/orders/create-order';
import {
  TEST_TERMS,
  createOrdersTestDatabase,
  findOrderRow,
  findTicketRow,
  newReservationMemory,
  seedTicket,
  type OrdersTestDatabase,
} from './helpers';

let database: OrdersTestDatabase;
let unitOfWork: UnitOfWork;
const logger = createTestLogger();

beforeAll(async () => {
  database = await createOrdersTestDatabase();
  unitOfWork = new UnitOfWork(database.db, { logger });
});
afterAll(() => database.drop());

/** Hands a ticket event to the replica's listener, as the bus would; resolves to the round trips it took. */
async function applyTicketEvent(data: EventData<'ticket.created'>): Promise<string[]> {
  const listener = ticketEventsListener(unitOfWork, TEST_TERMS, newReservationMemory());
  const subject = data.version === 0 ? 'ticket.created' : 'ticket.updated';
  const event: EventEnvelope<'ticket.created'> = {
    id: randomUUID(),
    subject,
    occurredAt: new Date().toISOString(),
    data,
  } as EventEnvelope<'ticket.created'>;
  const { statements } = await countRoundTrips(() => listener.handle(event, { deliveryCount: 1, logger }));
  return statements;
}

const ticketEvent = (overrides: Partial<EventData<'ticket.created'>> = {}): EventData<'ticket.created'> => ({
  id: randomUUID(),
  title: 'Concert',
  price: 2000,
  userId: randomUUID(),
  orderId: null,
  startsAt: '2030-06-01T20:00:00+02:00',
  version: 0,
  ...overrides,
});

// Every listing and every change of one reaches the replica: each round trip is CPU on both sides.
describe('round trips to PostgreSQL per ticket event (the orders replica)', () => {
  it('when a ticket is listed, then its replica takes three: the inbox with BEGIN, the insert, COMMIT', async () => {
    const ticket = ticketEvent();
    const statements = await applyTicketEvent(ticket);
    expect(await findTicketRow(database, ticket.id)).toMatchObject({
      title: 'Concert',
      price: 2000,
      startsAt: new Date('2030-06-01T18:00:00Z'),
      withdrawn: false,
      version: 0,
    });
    expect(statements).toEqual([
      expect.stringMatching(/^begin; insert into processed_events/),
      expect.stringMatching(/^\[orders_insert_ticket\] insert into "tickets"/),
      'commit',
    ]);
  });

  it('when a ticket changes, then its replica takes three, the update written on version N−1 only', async () => {
    const ticket = ticketEvent();
    await applyTicketEvent(ticket);
    const statements = await applyTicketEvent({ ...ticket, price: 2500, startsAt: null, version: 1 });
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ price: 2500, startsAt: null, version: 1 });
    expect(statements[1]).toMatch(/^\[orders_update_ticket\] update "tickets"/);
    expect(statements).toHaveLength(3);
  });

  it('when a version comes again or early, then the replica is read, the duplicate ignored and the early one retried', async () => {
    const ticket = ticketEvent();
    await applyTicketEvent(ticket);
    await applyTicketEvent({ ...ticket, price: 2500, version: 1 });
    await applyTicketEvent({ ...ticket, price: 9999, version: 0 });
    await applyTicketEvent({ ...ticket, price: 9999, version: 1 });
    await expect(applyTicketEvent({ ...ticket, price: 9999, version: 3 })).rejects.toBeInstanceOf(RetryLaterError);
    await expect(applyTicketEvent(ticketEvent({ version: 2 }))).rejects.toBeInstanceOf(RetryLaterError);
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ price: 2500, version: 1 });
  });

  it('when an order expires with nobody waiting, then cancelling it takes three: the line, the cancel and the places in one text, order.cancelled going with COMMIT', async () => {
    const memory = newReservationMemory();
    const ticket = await seedTicket(database);
    const order = await createOrder(unitOfWork, memory, randomUUID(), ticket.id, { expiresInSeconds: 900 });
    const listener = orderExpiredListener(unitOfWork, TEST_TERMS, memory);
    const event: EventEnvelope<'order.expired'> = {
      id: randomUUID(),
      subject: 'order.expired',
      occurredAt: new Date().toISOString(),
      data: { orderId: order.id },
    };
    const { statements } = await countRoundTrips(() => listener.handle(event, { deliveryCount: 1, logger }));
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(statements).toEqual([
      expect.stringMatching(/^begin; insert into processed_events/),
      expect.stringMatching(
        /^(PREPARE .*; )?EXECUTE orders_text_lock_line_of_order\('[^']+'\); EXECUTE orders_text_move_created_to_cancelled\('[^']+', '[^']+'\); EXECUTE orders_text_first_places_of_cancelled\('[^']+', 20\)$/,
      ),
      expect.stringMatching(/^insert into outbox .*; commit$/),
    ]);
  });

  it('when an order is paid, then completing it takes three: BEGIN, the line, the completion and the closing of the line in one text, order.completed going with COMMIT', async () => {
    const ticket = await seedTicket(database);
    const order = await createOrder(unitOfWork, newReservationMemory(), randomUUID(), ticket.id, {
      expiresInSeconds: 900,
    });
    const { result, statements } = await countRoundTrips(() => completeOrder(unitOfWork, order.id));
    expect(result).toMatchObject({ result: 'completed', order: { id: order.id, status: 'complete', version: 1 } });
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(statements).toEqual([
      'begin',
      expect.stringMatching(
        /^(PREPARE .*; )?EXECUTE orders_text_lock_line_of_order\('[^']+'\); EXECUTE orders_text_move_created_to_complete\('[^']+', '[^']+'\); EXECUTE orders_text_close_line_of_completed\('[^']+'\)$/,
      ),
      expect.stringMatching(/^insert into outbox .*; commit$/),
    ]);
  });

  it('when a capped buyer reserves, then it takes four: the read, the ticket with the lock and the count sent with BEGIN, the insert, COMMIT', async () => {
    const ticket = await seedTicket(database);
    const buyerId = randomUUID();
    const { result: order, statements } = await countRoundTrips(() =>
      createOrder(unitOfWork, newReservationMemory(), buyerId, ticket.id, {
        expiresInSeconds: 900,
        ticketVersion: ticket.version,
        maxLiveOrders: 5,
      }),
    );
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'created', userId: buyerId });
    expect(statements).toEqual([
      expect.stringMatching(/^\[orders_ticket_for_reservation\]/),
      expect.stringMatching(/^begin; SELECT .* FOR SHARE; SELECT pg_advisory_xact_lock\(.*\); SELECT count\(\*\)/),
      expect.stringMatching(/^\[orders_insert_order\] insert into "orders"/),
      expect.stringMatching(/^insert into outbox .*; commit$/),
    ]);
  });
});
