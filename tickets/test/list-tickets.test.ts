import request from 'supertest';
import { encodeCursor } from '../src/tickets/cursor';
import type { TicketView } from '../src/tickets/ticket-view';
import { createTicket, lockForOrder, nextPageUrl, signIn, useTicketsApp } from './helpers';

const context = useTicketsApp();

/** Every ticket for sale, walking the pages through the Link header; also each page's size. */
async function walkPages(limit: number) {
  const pages: TicketView[][] = [];
  let url: string | undefined = `/api/tickets?limit=${limit}`;
  while (url) {
    const response: request.Response = await request(context.app).get(url).expect(200);
    pages.push(response.body);
    url = nextPageUrl(response);
  }
  return { pages, tickets: pages.flat() };
}

const ids = (tickets: TicketView[]) => tickets.map((ticket) => ticket.id);

async function createTickets(count: number) {
  const { cookie } = signIn();
  const created: TicketView[] = [];
  // One after another, so that creation order is newest-last.
  for (let index = 0; index < count; index += 1) created.push(await createTicket(context.app, cookie));
  return created;
}

describe('GET /api/tickets', () => {
  it('when 25 tickets are walked in pages of 10 through the Link header, then each comes exactly once, newest first', async () => {
    const created = await createTickets(25);
    const { pages, tickets } = await walkPages(10);

    expect(new Set(ids(tickets)).size).toBe(tickets.length);
    const walkedIds = ids(tickets).filter((id) => ids(created).includes(id));
    expect(walkedIds).toEqual(ids(created).reverse());
    const times = tickets.map((ticket) => ticket.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(pages.slice(0, -1).every((page) => page.length === 10)).toBe(true);
  });

  it('when a page is not the last, then the Link header names the next page with the same limit; the last page has none', async () => {
    await createTickets(3);
    const first = await request(context.app).get('/api/tickets?limit=2').expect(200);
    expect(first.headers.link).toMatch(/^<\/api\/tickets\?limit=2&cursor=[A-Za-z0-9_-]+>; rel="next"$/);

    const everything = await request(context.app).get('/api/tickets?limit=100').expect(200);
    expect(everything.body.length).toBeLessThan(100);
    expect(everything.headers.link).toBeUndefined();
  });

  it('when a ticket is created between page 1 and page 2, then page 2 neither shifts nor repeats', async () => {
    await createTickets(20);
    const before = await request(context.app).get('/api/tickets?limit=100').expect(200);
    const page1 = await request(context.app).get('/api/tickets?limit=10').expect(200);
    expect(ids(page1.body)).toEqual(ids(before.body.slice(0, 10)));

    const newcomer = await createTicket(context.app);
    const page2 = await request(context.app)
      .get(nextPageUrl(page1) as string)
      .expect(200);

    expect(ids(page2.body)).toEqual(ids(before.body.slice(10, 20)));
    expect(ids(page2.body)).not.toContain(newcomer.id);
    const fresh = await request(context.app).get('/api/tickets?limit=1').expect(200);
    expect(ids(fresh.body)).toEqual([newcomer.id]);
  });

  it('when no limit is given, then 20 tickets come back and the Link header says limit=20', async () => {
    await createTickets(21);
    const response = await request(context.app).get('/api/tickets').expect(200);
    expect(response.body).toHaveLength(20);
    expect(nextPageUrl(response)).toMatch(/^\/api\/tickets\?limit=20&cursor=/);
  });

  it('when listed, then the edge may share the page for one second (a flash sale reads it), browsers keep nothing', async () => {
    const response = await request(context.app).get('/api/tickets?limit=5').set('Cookie', signIn().cookie).expect(200);

    expect(response.headers['cache-control']).toBe('public, max-age=0, s-maxage=1');
    expect(response.headers.vary).toBeUndefined();
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('when a ticket is locked by an order, then it is absent from the list but still shown by id', async () => {
    const ticket = await createTicket(context.app);
    await lockForOrder(context.unitOfWork, ticket.id);

    const { tickets } = await walkPages(100);
    expect(ids(tickets)).not.toContain(ticket.id);
    const shown = await request(context.app).get(`/api/tickets/${ticket.id}`).expect(200);
    expect(shown.body).toMatchObject({ id: ticket.id, status: 'reserved', version: 1 });
  });

  it('when listed, then each ticket has the API shape with a decimal price', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie, { title: 'Jazz night', price: 45.1 });
    const response = await request(context.app).get('/api/tickets?limit=1').expect(200);
    expect(response.body).toEqual([
      {
        id: ticket.id,
        title: 'Jazz night',
        price: 45.1,
        userId: user.id,
        status: 'available',
        sold: false,
        venue: null,
        startsAt: null,
        timeZone: null,
        resaleOf: null,
        withdrawn: false,
        version: 0,
        createdAt: ticket.createdAt,
      },
    ]);
  });

  const LIMIT_ERROR = { message: 'Limit must be an integer from 1 to 100', field: 'limit' };
  it.each([['0'], ['101'], ['abc'], ['1.5'], ['-1'], [''], ['10&limit=20']])(
    'when limit is %j, then it answers 400 naming limit',
    async (limit) => {
      const response = await request(context.app).get(`/api/tickets?limit=${limit}`).expect(400);
      expect(response.body).toEqual({ errors: [LIMIT_ERROR] });
    },
  );

  const CURSOR_ERROR = { message: 'Cursor is not valid', field: 'cursor' };
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  it.each([
    ['not base64url', 'not a cursor!'],
    ['random base64url', encode('hello world')],
    ['a time without an id', encode('newest 2024-05-01T10:00:00.123456Z')],
    [
      'a time without its sort (written before sorts)',
      encode('2024-05-01T10:00:00.123456Z 6f1c1f9e-3b7a-4c1e-9a37-2a8f3d2b9c10'),
    ],
    ['an unknown sort', encode('oldest 2024-05-01T10:00:00.123456Z 6f1c1f9e-3b7a-4c1e-9a37-2a8f3d2b9c10')],
    ['a price that is not whole cents', encode('price 20.5 6f1c1f9e-3b7a-4c1e-9a37-2a8f3d2b9c10')],
    ['a malformed id', encode('newest 2024-05-01T10:00:00.123456Z not-a-uuid')],
    ['a day that does not exist', encode('newest 2024-02-30T10:00:00.123456Z 6f1c1f9e-3b7a-4c1e-9a37-2a8f3d2b9c10')],
    ['an hour that does not exist', encode('newest 2024-05-01T25:00:00.123456Z 6f1c1f9e-3b7a-4c1e-9a37-2a8f3d2b9c10')],
    ['an empty value', ''],
  ])('when the cursor is %s, then it answers 400 naming cursor', async (_case, cursor) => {
    const response = await request(context.app)
      .get(`/api/tickets?cursor=${encodeURIComponent(cursor)}`)
      .expect(400);
    expect(response.body).toEqual({ errors: [CURSOR_ERROR] });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('when a well-formed cursor points past every ticket, then the page is empty and has no Link', async () => {
    const cursor = encodeCursor({
      sort: 'newest',
      key: '1999-01-01T00:00:00.000000Z',
      id: '6f1c1f9e-3b7a-4c1e-9a37-2a8f3d2b9c10',
    });
    const response = await request(context.app).get(`/api/tickets?cursor=${cursor}`).expect(200);
    expect(response.body).toEqual([]);
    expect(response.headers.link).toBeUndefined();
  });
});
