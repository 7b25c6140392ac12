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

/**
 * Tickets that are no longer for sale pile up for good: every withdrawal, every event that has passed. A
 * marketplace a few years old holds far more of them than of tickets for sale, and the list must not read them.
 * Here 18 of every 20 tickets are withdrawn or past, and the pages are read with EXPLAIN (ANALYZE, BUFFERS):
 * the plan reads only the for-sale index, fetches no ticket that is then thrown away, and touches a number of
 * pages bounded by the page size, not by the tickets that are gone.
 */
describe(`the for-sale list on ${TICKETS.toLocaleString('en-US')} tickets, 90% of them withdrawn or past`, () => {
  let gone: TicketsTestDatabase;

  beforeAll(async () => {
    gone = await createTicketsTestDatabase();
    // Per 20 tickets: 9 withdrawn, 9 whose event started (within the last two years), 1 reserved, 1 for sale,
    // interleaved in every order the list reads (newest, price, date).
    await gone.pool.query(
      `INSERT INTO tickets (title, price, user_id, order_id, venue, starts_at, starts_at_offset, withdrawn_at, created_at)
       SELECT 'Concert ' || i || CASE WHEN i % 1000 IN (3, 13, 18) THEN ' Zénith' ELSE ' Arena' END,
              500 + (i * 7919) % 100000,
              gen_random_uuid(),
              CASE WHEN i % 20 = 19 THEN gen_random_uuid() END,
              'Salle ' || (i % 500),
              CASE WHEN i % 20 BETWEEN 9 AND 17 THEN now() - make_interval(mins => 1 + (i * 6007) % (2 * 365 * 24 * 60))
                   ELSE now() + make_interval(mins => 1 + (i * 6007) % (2 * 365 * 24 * 60)) END,
              120,
              CASE WHEN i % 20 < 9 THEN now() - make_interval(secs => i) END,
              now() - make_interval(secs => i)
       FROM generate_series(1, $1::integer) AS i`,
      [TICKETS],
    );
    await gone.pool.query('ANALYZE tickets');
  }, 120_000);

  afterAll(() => gone?.drop());

  interface ScanNode {
    'Node Type': string;
    'Index Name'?: string;
    'Relation Name'?: string;
    'Rows Removed by Filter'?: number;
    'Shared Hit Blocks': number;
    'Shared Read Blocks': number;
    Plans?: ScanNode[];
  }

  /** The plan of one page of a search, run: each node that reads the tickets table, and the rows returned. */
  async function pageRead(search: Partial<TicketSearch>) {
    const query = ticketsForSaleQuery(gone.db, {
      search: { sort: 'newest', ...search },
      limit: 21,
      now: new Date(),
    }).toSQL();
    const { rows } = await gone.pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query.sql}`, query.params);
    const root = (rows[0]['QUERY PLAN'] as { Plan: ScanNode & { 'Actual Rows': number } }[])[0]!.Plan;
    const scans: ScanNode[] = [];
    const visit = (node: ScanNode) => {
      if (node['Index Name'] !== undefined || node['Relation Name'] === 'tickets') scans.push(node);
      for (const child of node.Plans ?? []) visit(child);
    };
    visit(root);
    return {
      indexes: scans
        .map((node) => node['Index Name'] ?? `(${node['Node Type']})`)
        .filter((name) => name !== '(Bitmap Heap Scan)'),
      rowsThrownAway: scans.reduce((sum, node) => sum + (node['Rows Removed by Filter'] ?? 0), 0),
      pagesTouched: root['Shared Hit Blocks'] + root['Shared Read Blocks'],
      rowsReturned: root['Actual Rows'],
    };
  }

  it.each([
    ['nothing is searched', {}, 'tickets_for_sale_idx'],
    ['sorted by price', { sort: 'price' }, 'tickets_for_sale_price_idx'],
    [
      'a price range is sorted by price',
      { sort: 'price', minPrice: 10_000, maxPrice: 12_000 },
      'tickets_for_sale_price_idx',
    ],
    ['sorted by date', { sort: 'date' }, 'tickets_for_sale_date_idx'],
  ] as const)(
    'when %s, then the page reads only the for-sale index and no ticket that is gone',
    async (_case, search, index) => {
      const page = await pageRead(search as Partial<TicketSearch>);
      expect(page.indexes).toEqual([index]);
      expect(page.rowsReturned).toBe(21);
      // A withdrawn or started ticket fetched from the table and then filtered out is the cost that grows.
      expect(page.rowsThrownAway).toBe(0);
      // 21 tickets on at most 21 table pages, plus the index's root, inner and a few leaf pages.
      expect(page.pagesTouched).toBeLessThanOrEqual(40);
    },
  );

  it('when a word is searched, then the words come from the for-sale GIN index, which holds no withdrawn ticket', async () => {
    const page = await pageRead({ text: 'zenith' });
    expect(page.indexes).toContain('tickets_for_sale_search_idx');
    // 300 tickets hold the word: 100 withdrawn, 100 started, 100 for sale. The started ones are still fetched
    // and filtered (a GIN index cannot hold the start); the withdrawn ones never are.
    expect(page.rowsReturned).toBe(21);
    expect(page.rowsThrownAway).toBeLessThanOrEqual(100);
  });
});
