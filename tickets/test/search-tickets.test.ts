import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { encodeCursor } from '../src/tickets/cursor';
import type { TicketView } from '../src/tickets/ticket-view';
import {
  buildTicket,
  createTicket,
  lockForOrder,
  nextPageUrl,
  signIn,
  useTicketsApp,
  type TicketBody,
} from './helpers';

const context = useTicketsApp();

/**
 * A word no other test's tickets have: every test lists its own tickets with one in the title and searches
 * with it, so the rows the other tests left in this file's database never match.
 */
function uniqueWord(): string {
  return `w${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

async function list(query: Record<string, string>): Promise<request.Response> {
  return request(context.app).get(`/api/tickets?${new URLSearchParams(query)}`);
}

async function titlesFound(query: Record<string, string>): Promise<string[]> {
  const response = await list(query);
  expect(response.status).toBe(200);
  return (response.body as TicketView[]).map((ticket) => ticket.title);
}

/** Lists the tickets one after another (so newest is last) as one seller. */
async function listTickets(bodies: Partial<TicketBody>[]): Promise<TicketView[]> {
  const { cookie } = signIn();
  const created: TicketView[] = [];
  for (const body of bodies) created.push(await createTicket(context.app, cookie, buildTicket(body)));
  return created;
}

/** Every page of a search, walked through the Link header. */
async function walk(query: Record<string, string>) {
  const pages: TicketView[][] = [];
  const links: string[] = [];
  let url: string | undefined = `/api/tickets?${new URLSearchParams(query)}`;
  while (url) {
    const response: request.Response = await request(context.app).get(url).expect(200);
    pages.push(response.body);
    url = nextPageUrl(response);
    if (url) links.push(url);
  }
  return { titles: pages.flat().map((ticket) => ticket.title), links, pages };
}

/** A day `days` from today (UTC), as a date input sends it. */
function dayIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe('GET /api/tickets?q= (words in the title and the venue)', () => {
  it('when the words differ in case and accents from the title, then the ticket is found', async () => {
    const word = uniqueWord();
    await listTickets([{ title: `Zénith ${word} Orchestra` }, { title: `Other ${word}` }]);

    expect(await titlesFound({ q: `zenith ${word}` })).toEqual([`Zénith ${word} Orchestra`]);
    expect(await titlesFound({ q: `ZÉNITH ${word.toUpperCase()}` })).toEqual([`Zénith ${word} Orchestra`]);
    expect(await titlesFound({ q: `Zênîth ${word}` })).toEqual([`Zénith ${word} Orchestra`]);
  });

  it('when a word is in the venue only, then the ticket is found by it', async () => {
    const word = uniqueWord();
    await listTickets([
      { title: `Ballet ${word}`, venue: 'Théâtre du Châtelet' },
      { title: `Ballet ${word}`, venue: 'Opéra Garnier' },
    ]);
    const found = (await list({ q: `chatelet ${word}` })).body as TicketView[];
    expect(found.map((ticket) => ticket.venue)).toEqual(['Théâtre du Châtelet']);
  });

  it('when the last word is the start of a word, then it matches as a prefix; earlier words must be whole', async () => {
    const word = uniqueWord();
    await listTickets([{ title: `Philharmonie ${word}` }]);

    expect(await titlesFound({ q: `${word} philh` })).toEqual([`Philharmonie ${word}`]);
    expect(await titlesFound({ q: `${word} PHILHARMO` })).toEqual([`Philharmonie ${word}`]);
    expect(await titlesFound({ q: `philh ${word}` })).toEqual([]);
    expect(await titlesFound({ q: word.slice(0, 10) })).toEqual([`Philharmonie ${word}`]);
  });

  it('when there are several words, then a ticket must have every one', async () => {
    const word = uniqueWord();
    await listTickets([{ title: `Rock ${word} night` }, { title: `Rock ${word}` }]);
    expect(await titlesFound({ q: `${word} rock night` })).toEqual([`Rock ${word} night`]);
    expect((await titlesFound({ q: `${word} rock` })).sort()).toEqual([`Rock ${word}`, `Rock ${word} night`]);
  });

  it.each([
    ['tsquery operators', (word: string) => `${word} & | ! ( ) <-> :* ' \\`],
    ['quotes and a backslash', (word: string) => `'${word}' "x\\"`],
    ['operators only, after the word', (word: string) => `${word} !:*`],
  ])('when q holds %s, then they are plain text, never an error', async (_case, q) => {
    const word = uniqueWord();
    await listTickets([{ title: `Symphony ${word}` }]);
    const response = await list({ q: q(word) });
    expect(response.status).toBe(200);
  });

  it('when q has no letter or digit at all, then it filters nothing', async () => {
    const [ticket] = await listTickets([{ title: `Punctuation ${uniqueWord()}` }]);
    const response = await list({ q: ' !?& ', limit: '1' }).then((answer) => answer.body as TicketView[]);
    expect(response.map((found) => found.id)).toEqual([ticket?.id]);
  });

  it.each([
    ['longer than 200 characters', `q=${'a'.repeat(201)}`],
    ['given twice', 'q=a&q=b'],
  ])('when q is %s, then it answers 400 naming q', async (_case, query) => {
    const response = await request(context.app).get(`/api/tickets?${query}`).expect(400);
    expect(response.body).toEqual({
      errors: [{ message: 'q must be one text of at most 200 characters', field: 'q' }],
    });
  });
});

describe('GET /api/tickets?minPrice=&maxPrice=', () => {
  it('when a price range is given, then only tickets priced within it (inclusive) are listed', async () => {
    const word = uniqueWord();
    await listTickets([
      { title: `${word} ten`, price: 10 },
      { title: `${word} twenty`, price: 20.5 },
      { title: `${word} thirty`, price: 30 },
    ]);
    const found = (query: Record<string, string>) => titlesFound({ q: word, sort: 'price', ...query });

    expect(await found({ minPrice: '20.5' })).toEqual([`${word} twenty`, `${word} thirty`]);
    expect(await found({ maxPrice: '20.50' })).toEqual([`${word} ten`, `${word} twenty`]);
    expect(await found({ minPrice: '11', maxPrice: '29.99' })).toEqual([`${word} twenty`]);
    expect(await found({ minPrice: '0', maxPrice: '999999.99' })).toHaveLength(3);
    expect(await found({ minPrice: '31' })).toEqual([]);
  });

  it.each([['-1'], ['abc'], ['1.234'], ['1e3'], [''], ['100000000'], [' 5']])(
    'when a price bound is %j, then it answers 400 naming it',
    async (value) => {
      for (const name of ['minPrice', 'maxPrice']) {
        const response = await list({ [name]: value }).then((answer) => answer);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          errors: [{ message: `${name} must be a decimal from 0 to 999999.99 with at most 2 decimals`, field: name }],
        });
      }
    },
  );
});

describe('GET /api/tickets?from=&to= (on the start)', () => {
  it('when days are given, then only tickets starting on those days (inclusive) are listed, none without a start', async () => {
    const word = uniqueWord();
    await listTickets([
      { title: `${word} soon`, startsAt: `${dayIn(10)}T20:00:00Z` },
      { title: `${word} later`, startsAt: `${dayIn(20)}T20:00:00Z` },
      { title: `${word} latest`, startsAt: `${dayIn(30)}T20:00:00Z` },
      { title: `${word} undated` },
    ]);
    const found = (query: Record<string, string>) => titlesFound({ q: word, sort: 'date', ...query });

    expect(await found({})).toEqual([`${word} soon`, `${word} later`, `${word} latest`, `${word} undated`]);
    expect(await found({ from: dayIn(20) })).toEqual([`${word} later`, `${word} latest`]);
    expect(await found({ to: dayIn(20) })).toEqual([`${word} soon`, `${word} later`]);
    expect(await found({ from: dayIn(11), to: dayIn(29) })).toEqual([`${word} later`]);
    expect(await found({ from: dayIn(20), to: dayIn(20) })).toEqual([`${word} later`]);
  });

  it('when a day is given, then an event counts on the day it starts at its venue, not the day it is in UTC', async () => {
    const word = uniqueWord();
    // 23:30 in New York on 12 June is 03:30 UTC on 13 June; 00:30 in Tokyo on 13 June is 15:30 UTC on 12 June.
    await listTickets([
      { title: `${word} New York`, startsAt: '2031-06-12T23:30:00-04:00' },
      { title: `${word} Tokyo`, startsAt: '2031-06-13T00:30:00+09:00' },
    ]);
    const found = (query: Record<string, string>) => titlesFound({ q: word, sort: 'date', ...query });

    expect(await found({ from: '2031-06-12', to: '2031-06-12' })).toEqual([`${word} New York`]);
    expect(await found({ from: '2031-06-13', to: '2031-06-13' })).toEqual([`${word} Tokyo`]);
  });

  it('when instants are given, then they are compared with the start itself, inclusive', async () => {
    const word = uniqueWord();
    await listTickets([
      { title: `${word} early`, startsAt: '2031-06-12T18:00:00Z' },
      { title: `${word} late`, startsAt: '2031-06-12T21:00:00+02:00' },
    ]);
    const found = (query: Record<string, string>) => titlesFound({ q: word, sort: 'date', ...query });

    expect(await found({ from: '2031-06-12T19:00:00Z' })).toEqual([`${word} late`]);
    expect(await found({ to: '2031-06-12T20:00:00+02:00' })).toEqual([`${word} early`]);
    expect(await found({ from: '2031-06-12T18:00:00Z', to: '2031-06-12T19:00:00Z' })).toEqual([
      `${word} early`,
      `${word} late`,
    ]);
  });

  it.each([['tomorrow'], ['2031-02-30'], ['2031-06-12T20:00:00'], ['12/06/2031'], ['']])(
    'when a date bound is %j, then it answers 400 naming it',
    async (value) => {
      for (const name of ['from', 'to']) {
        const response = await list({ [name]: value });
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          errors: [
            { message: `${name} must be a date (2031-06-12) or an ISO 8601 date and time with an offset`, field: name },
          ],
        });
      }
    },
  );
});

describe('GET /api/tickets?sort=', () => {
  it('when sorted by price, then the cheapest comes first; by date, the soonest, tickets without a start last', async () => {
    const word = uniqueWord();
    await listTickets([
      { title: `${word} A`, price: 30, startsAt: `${dayIn(5)}T20:00:00Z` },
      { title: `${word} B`, price: 10 },
      { title: `${word} C`, price: 20, startsAt: `${dayIn(2)}T20:00:00+02:00` },
    ]);

    expect(await titlesFound({ q: word })).toEqual([`${word} C`, `${word} B`, `${word} A`]);
    expect(await titlesFound({ q: word, sort: 'newest' })).toEqual([`${word} C`, `${word} B`, `${word} A`]);
    expect(await titlesFound({ q: word, sort: 'price' })).toEqual([`${word} B`, `${word} C`, `${word} A`]);
    expect(await titlesFound({ q: word, sort: 'date' })).toEqual([`${word} C`, `${word} A`, `${word} B`]);
  });

  it.each(['newest', 'price', 'date'])(
    'when sorted by %s and walked in pages of 2 through the Link header, then each ticket comes exactly once, in order, and every link keeps the search',
    async (sort) => {
      const word = uniqueWord();
      // Ties on price and on the start (and tickets without one) are where a keyset loses or repeats rows.
      const created = await listTickets([
        { title: `${word} 1`, price: 15, startsAt: `${dayIn(8)}T20:00:00Z` },
        { title: `${word} 2`, price: 15, startsAt: `${dayIn(8)}T20:00:00Z` },
        { title: `${word} 3`, price: 15 },
        { title: `${word} 4`, price: 12, startsAt: `${dayIn(4)}T20:00:00Z` },
        { title: `${word} 5`, price: 40 },
        { title: `${word} 6`, price: 12, startsAt: `${dayIn(8)}T20:00:00Z` },
        { title: `${word} 7`, price: 99 },
      ]);
      // The order each sort promises, worked out here from what was listed: ties broken by id.
      const byId = (a: TicketView, b: TicketView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const startOf = (ticket: TicketView) => (ticket.startsAt ? Date.parse(ticket.startsAt) : Infinity);
      const compare: Record<string, (a: TicketView, b: TicketView) => number> = {
        price: (a, b) => a.price - b.price || byId(a, b),
        date: (a, b) => startOf(a) - startOf(b) || byId(a, b),
      };
      const inRange = created.filter((ticket) => ticket.price >= 12 && ticket.price <= 50);
      const expected = (compare[sort] ? [...inRange].sort(compare[sort]) : [...inRange].reverse()).map(
        (ticket) => ticket.title,
      );
      const query = { q: `${word}`, minPrice: '12', maxPrice: '50', sort, limit: '2' };

      const { titles, links } = await walk(query);

      expect(titles).toEqual(expected);
      expect(new Set(titles).size).toBe(created.length - 1);
      expect(links.length).toBe(Math.ceil(expected.length / 2) - 1);
      for (const link of links) {
        const params = new URL(link, 'http://link.invalid').searchParams;
        expect(params.get('q')).toBe(word);
        expect(params.get('minPrice')).toBe('12');
        expect(params.get('maxPrice')).toBe('50');
        expect(params.get('sort')).toBe(sort);
        expect(params.get('limit')).toBe('2');
      }
    },
  );

  it('when the orders are compared, then each sort has its own order over the same tickets', async () => {
    const word = uniqueWord();
    await listTickets([
      { title: `${word} dear soon`, price: 90, startsAt: `${dayIn(3)}T10:00:00Z` },
      { title: `${word} cheap late`, price: 5, startsAt: `${dayIn(60)}T10:00:00Z` },
    ]);
    expect(await titlesFound({ q: word, sort: 'price' })).toEqual([`${word} cheap late`, `${word} dear soon`]);
    expect(await titlesFound({ q: word, sort: 'date' })).toEqual([`${word} dear soon`, `${word} cheap late`]);
  });

  it.each([['oldest'], [''], ['PRICE']])('when sort is %j, then it answers 400 naming sort', async (sort) => {
    const response = await list({ sort }).then((answer) => answer);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'sort must be one of newest, price, date', field: 'sort' }] });
  });

  it.each([
    ['sort=price&sort=date', 'sort'],
    ['minPrice=1&minPrice=2', 'minPrice'],
    ['to=2031-06-12&to=2031-06-13', 'to'],
  ])('when a parameter is repeated (%s), then it answers 400 naming it', async (query, field) => {
    const response = await request(context.app).get(`/api/tickets?${query}`).expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field })]);
  });

  it('when a cursor of one sort is used with another, then it answers 400 naming cursor', async () => {
    const word = uniqueWord();
    await listTickets([{ title: `${word} a` }, { title: `${word} b` }]);
    const first = await list({ q: word, sort: 'price', limit: '1' });
    const cursor = new URL(nextPageUrl(first) as string, 'http://link.invalid').searchParams.get('cursor') as string;

    const response = await list({ q: word, sort: 'date', limit: '1', cursor });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [{ message: 'Cursor belongs to another sort than date', field: 'cursor' }],
    });
    const noSort = await list({ q: word, cursor });
    expect(noSort.body).toEqual({
      errors: [{ message: 'Cursor belongs to another sort than newest', field: 'cursor' }],
    });
  });

  it('when a well-formed date cursor is past the tickets with a start, then the page continues with those without one', async () => {
    const word = uniqueWord();
    await listTickets([{ title: `${word} dated`, startsAt: `${dayIn(7)}T20:00:00Z` }, { title: `${word} undated` }]);
    const cursor = encodeCursor({ sort: 'date', key: '2999-01-01T00:00:00.000000Z', id: randomUUID() });
    expect(await titlesFound({ q: word, sort: 'date', cursor })).toEqual([`${word} undated`]);
  });
});

describe('GET /api/tickets: what is not for sale stays out of every search', () => {
  it('when a matching ticket is reserved or its event has started, then no search lists it', async () => {
    const word = uniqueWord();
    const [reserved, started, forSale] = await listTickets([
      { title: `${word} reserved`, price: 20, startsAt: `${dayIn(5)}T20:00:00Z` },
      { title: `${word} started`, price: 20, startsAt: `${dayIn(5)}T20:00:00Z` },
      { title: `${word} for sale`, price: 20, startsAt: `${dayIn(5)}T20:00:00Z` },
    ]);
    await lockForOrder(context.unitOfWork, reserved?.id as string);
    await context.database.pool.query("UPDATE tickets SET starts_at = now() - interval '1 second' WHERE id = $1", [
      started?.id,
    ]);

    for (const sort of ['newest', 'price', 'date']) {
      expect(await titlesFound({ q: word, sort })).toEqual([forSale?.title]);
    }
    expect(await titlesFound({ q: word, minPrice: '20', maxPrice: '20', from: dayIn(5), to: dayIn(5) })).toEqual([
      forSale?.title,
    ]);
  });
});
