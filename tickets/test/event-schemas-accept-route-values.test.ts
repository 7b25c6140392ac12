import request from 'supertest';
import { eventSchemas } from '@ticketing/common/events';
import { buildTicket, createTicket, recordedFor, signIn, useTicketsApp } from './helpers';

/**
 * An event schema can never be stricter than the route that produced it: each edge value the create and edit
 * routes accept goes through the route (2xx), and the ticket.created / ticket.updated it recorded parses with
 * the catalog's schema (a value one accepts and the other refuses was a 500 inside the transaction).
 */
const context = useTicketsApp();

const inAYear = (offset: string) => {
  const year = new Date().getUTCFullYear() + 1;
  return `${year}-06-12T20:00:00${offset}`;
};

const ACCEPTED: ReadonlyArray<[string, Record<string, unknown>]> = [
  ['a 120-character title of emoji (240 UTF-16 units)', { title: '🎟'.repeat(120) }],
  ['a 120-character title with combining marks', { title: 'e\u0301'.repeat(60) }],
  ['a right-to-left title', { title: 'حفلة موسيقية' }],
  ['a one-character title', { title: 'x' }],
  ['a 120-character venue of CJK', { venue: '会'.repeat(120) }],
  ['the lowest price', { price: 0.5 }],
  ['the highest price', { price: 999999.99 }],
  ['a price as a string with two decimals', { price: '20.50' }],
  ['a start at +14:00', { startsAt: inAYear('+14:00') }],
  ['a start at -12:00', { startsAt: inAYear('-12:00') }],
  ['a start at +05:45', { startsAt: inAYear('+05:45') }],
  ['a start in UTC (Z)', { startsAt: inAYear('Z') }],
  ['a start with milliseconds', { startsAt: inAYear('.123+02:00') }],
  ['no venue and no start (null)', { venue: null, startsAt: null }],
];

describe('the ticket events accept every value the routes accept', () => {
  it.each(ACCEPTED)(
    'when a ticket is listed with %s, then it answers 201 and ticket.created parses',
    async (_name, edge) => {
      const response = await request(context.app)
        .post('/api/tickets')
        .set('Cookie', signIn().cookie)
        .send({ ...buildTicket(), ...edge });

      expect(response.status).toBe(201);
      const [created] = await recordedFor(context.database, 'ticket.created', response.body.id);
      expect(eventSchemas['ticket.created'].safeParse(created).error).toBeUndefined();
    },
  );

  it.each(ACCEPTED)(
    'when a ticket is edited to %s, then it answers 200 and ticket.updated parses',
    async (_name, edge) => {
      const { cookie } = signIn();
      const ticket = await createTicket(context.app, cookie);
      const response = await request(context.app)
        .put(`/api/tickets/${ticket.id}`)
        .set('Cookie', cookie)
        .send({ ...buildTicket(), ...edge });

      expect(response.status).toBe(200);
      const [updated] = await recordedFor(context.database, 'ticket.updated', ticket.id);
      expect(eventSchemas['ticket.updated'].safeParse(updated).error).toBeUndefined();
    },
  );
});
