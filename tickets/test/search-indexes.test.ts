import { ticketsForSaleQuery } from '../src/db/ticket-search';
import type { TicketSearch } from '../src/tickets/ticket-search';
import { createTicketsTestDatabase, type TicketsTestDatabase } from './helpers';

/**
 * The for-sale list's statements on 100,000 tickets, as PostgreSQL plans them: each search a visitor can make
 * must read an index, not the whole table. The statements are the service's own (ticketsForSaleQuery), with
 * their parameters, so a change to the SQL that loses an index fails here.
 */
let database: TicketsTestDatabase;

const TICKETS = 100_000;

beforeAll(async () => {
  database = await createTicketsTestDatabase();
  // Prices spread over $5–$1,005, starts over the next two years at a Paris offset, one ticket in ten
  // reserved, one in a thousand at the Zénith: the shape of a busy marketplace, not of a test's few rows.
  await database.pool.query(
    `INSERT INTO tickets (title, price, user_id, order_id, venue, starts_at, starts_at_offset, created_at)
     SELECT 'Concert ' || i || CASE WHEN i % 1000 = 0 THEN ' Zénith' ELSE ' Arena' END,
            500 + (i * 7919) % 100000,
            gen_random_uuid(),
            CASE WHEN i % 10 = 0 THEN gen_random_uuid() END,
            CASE WHEN i % 3 = 0 THEN 'Salle ' || (i % 500) END,
            CASE WHEN i % 5 <> 0 THEN now() + make_interval(mins => (i * 6007) % (2 * 365 * 24 * 60)) END,
            CASE WHEN i % 5 <> 0 THEN 120 END,
            now() - make_interval(secs => i)
     FROM generate_series(1, $1::integer) AS i`,
    [TICKETS],
  );
  await database.pool.query('ANALYZE tickets');
}, 120_000);

afterAll(() => database?.drop());

/** The indexes the plan of one search reads. */
async function indexesRead(search: Partial<TicketSearch>): Promise<string[]> {
  const query = ticketsForSaleQuery(database.db, {
    search: { sort: 'newest', ...search },
    limit: 21,
    now: new Date(),
  }).toSQL();
  const { rows } = await database.pool.query(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.params);
  const indexes: string[] = [];
  const visit = (node: Record<string, unknown>) => {
    if (typeof node['Index Name'] === 'string') indexes.push(node['Index Name']);
    if (node['Relation Name'] === 'tickets' && node['Node Type'] === 'Seq Scan') indexes.push('(sequential scan)');
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  visit((rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]?.Plan as Record<string, unknown>);
  return indexes;
}

describe(`the for-sale list on ${TICKETS.toLocaleString('en-US')} tickets`, () => {
  it('when there are that many, then the table holds them (the plans below are for this size)', async () => {
    const { rows } = await database.pool.query('SELECT count(*)::integer AS count FROM tickets');
    expect(rows[0].count).toBe(TICKETS);
  });

  it('when nothing is searched, then the newest-first index serves the first page', async () => {
    expect(await indexesRead({})).toEqual(['tickets_for_sale_idx']);
  });

  it.each([
    ['a whole word', 'Zénith'],
    ['a word without its accent, in capitals', 'ZENITH'],
    ['a prefix of the last word', 'zen'],
    ['two words', 'concert zenith'],
  ])('when the text searched is %s, then the GIN index on the words is read', async (_case, text) => {
    expect(await indexesRead({ text })).toContain('tickets_for_sale_search_idx');
  });

  it('when sorted by price, then the price index serves the order', async () => {
    expect(await indexesRead({ sort: 'price' })).toEqual(['tickets_for_sale_price_idx']);
  });

  it('when a narrow price range is asked, then the price index serves it', async () => {
    expect(await indexesRead({ minPrice: 10_000, maxPrice: 10_100 })).toEqual(['tickets_for_sale_price_idx']);
  });

  it('when sorted by date, then the date index serves the order', async () => {
    expect(await indexesRead({ sort: 'date' })).toEqual(['tickets_for_sale_date_idx']);
  });

  const inAMonth = new Date(Date.now() + 30 * 86_400_000);
  it.each([
    [
      'a day',
      { kind: 'day', day: inAMonth.toISOString().slice(0, 10) },
      { kind: 'day', day: inAMonth.toISOString().slice(0, 10) },
    ],
    [
      'instants a day apart',
      { kind: 'instant', at: inAMonth },
      { kind: 'instant', at: new Date(inAMonth.getTime() + 86_400_000) },
    ],
  ] as const)('when a narrow date range is asked as %s, then the date index serves it', async (_case, from, to) => {
    expect(await indexesRead({ from, to })).toEqual(['tickets_for_sale_date_idx']);
  });

  it('when a text search is sorted by price, then the words still come from the GIN index', async () => {
    expect(await indexesRead({ text: 'zenith', sort: 'price' })).toContain('tickets_for_sale_search_idx');
  });
});
