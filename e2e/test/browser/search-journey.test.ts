import type { Page } from 'playwright-core';
import { useTestStack } from '../helpers';
import { eventually, signUpInBrowser, step, useChromium, visible, type Visitor } from './browser';

// Searching needs the tickets service and the web app; auth for the seller who lists the tickets.
const context = useTestStack({ services: ['auth', 'tickets', 'client'] });
const chromium = useChromium();

/** A day this many days ahead, as the date input and the datetime-local input take it. */
function dayIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

interface Listing {
  title: string;
  price: string;
  venue: string;
  /** datetime-local value on the venue's clock and the venue's time zone, or none. */
  startsAt?: { local: string; zone: string };
}

/** Lists a ticket through the sell form, venue and start included. */
async function sellThroughForm(seller: Visitor, listing: Listing): Promise<void> {
  await step(seller, `sell "${listing.title}"`, async () => {
    const { page } = seller;
    await page.goto('/tickets/new');
    await page.getByLabel('Title').fill(listing.title);
    await page.getByLabel('Price').fill(listing.price);
    await page.getByLabel('Venue', { exact: true }).fill(listing.venue);
    // Until the seller chooses, the venue's zone is their browser's (filled in once the page has hydrated).
    await eventually(async () =>
      expect(await page.getByLabel('Time zone of the venue').inputValue()).toBe(SELLER_TIME_ZONE),
    );
    if (listing.startsAt) {
      await page.getByLabel('Starts at').fill(listing.startsAt.local);
      await page.getByLabel('Time zone of the venue').selectOption(listing.startsAt.zone);
    }
    await page.getByRole('button', { name: 'List ticket' }).click();
    await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    await visible(page.getByRole('heading', { name: listing.title }));
  });
}

/** The titles of the cards the landing page shows, in order. */
async function cardTitles(page: Page): Promise<string[]> {
  return page.getByTestId('ticket-card').getByRole('heading').allTextContents();
}

/** Fills the landing page's search form (a box left out is emptied) and submits it. */
async function search(
  page: Page,
  values: { keywords?: string; minPrice?: string; maxPrice?: string; from?: string; to?: string; sort?: string },
) {
  const form = page.getByRole('search', { name: 'Search tickets' });
  const submitted = {
    q: values.keywords ?? '',
    minPrice: values.minPrice ?? '',
    maxPrice: values.maxPrice ?? '',
    from: values.from ?? '',
    to: values.to ?? '',
    sort: values.sort ?? 'newest',
  };
  await form.getByLabel('Keywords').fill(submitted.q);
  await form.getByRole('group', { name: 'Price ($)' }).getByLabel('Min').fill(submitted.minPrice);
  await form.getByRole('group', { name: 'Price ($)' }).getByLabel('Max').fill(submitted.maxPrice);
  await form.getByRole('group', { name: 'Event date' }).getByLabel('From').fill(submitted.from);
  await form.getByRole('group', { name: 'Event date' }).getByLabel('To').fill(submitted.to);
  await form.getByLabel('Sort by').selectOption(submitted.sort);
  // A GET form: the browser goes to the URL of its values, every box included, in the form's order.
  const target = `?${new URLSearchParams(submitted)}`;
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/' && url.search === target),
    form.getByRole('button', { name: 'Search' }).click(),
  ]);
  // The list arrives after the page's shell (the landing page streams behind its loading state).
  await visible(page.locator('ul.ticket-grid, section.empty-state'));
}

/** The seller's browser is in Tokyo, neither venue's zone: the times typed are converted with the venue's. */
const SELLER_TIME_ZONE = 'Asia/Tokyo';

const PHILHARMONIC = {
  title: 'Zénith Philharmonic',
  price: '45',
  venue: 'Salle Pleyel',
  startsAt: { local: `${dayIn(30)}T20:00`, zone: 'Europe/Paris' },
};
const JAZZ = { title: 'Jazz Trio', price: '120', venue: 'Le Zénith, Paris', startsAt: undefined };
const ROCK = {
  title: 'Rock Night',
  price: '130',
  venue: 'Olympia',
  startsAt: { local: `${dayIn(10)}T21:30`, zone: 'America/New_York' },
};

describe('searching the tickets for sale in a browser', () => {
  /** A visitor in a browser context of their own, with or without JavaScript. */
  async function newVisitor(name: string, javaScriptEnabled = true): Promise<Visitor> {
    const page = await (await chromium.browser.newContext({ baseURL: context.stack.url, javaScriptEnabled })).newPage();
    return { name, page, email: '' };
  }

  // Listed through the sell form, venue and start included: what the searches below find.
  beforeAll(async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-search', {
      timezoneId: SELLER_TIME_ZONE,
    });
    for (const listing of [PHILHARMONIC, JAZZ, ROCK]) await sellThroughForm(seller, listing);
  }, 120_000);

  it('when three tickets are listed through the form, then the landing page shows their cards with the venue and the start on the venue’s clock', async () => {
    const visitor = await newVisitor('visitor-cards');
    const { page } = visitor;
    await step(visitor, 'see the three cards with their venue and start', async () => {
      // The landing page is shared by the edge for up to a second: the last listing shows within one.
      await eventually(async () => {
        await page.goto('/');
        expect(await cardTitles(page)).toEqual([ROCK.title, JAZZ.title, PHILHARMONIC.title]);
      });
      const card = page.getByTestId('ticket-card').filter({ hasText: PHILHARMONIC.title });
      expect(await card.textContent()).toContain('Salle Pleyel');
      // On the venue's clock, with its zone's short name (winter or summer time, by the date).
      expect(await card.locator('time').first().textContent()).toMatch(/, 20:00 CES?T$/);
      const rock = page.getByTestId('ticket-card').filter({ hasText: ROCK.title });
      expect(await rock.locator('time').first().textContent()).toMatch(/, 21:30 E[SD]T$/);
    });
  });

  it('when a visitor searches words (accents and case aside, the last one a prefix) and a price range, then the right cards show and the URL and the form keep the search', async () => {
    const visitor = await newVisitor('visitor-words');
    const { page } = visitor;
    await page.goto('/');

    await step(visitor, 'search a word without its accent and the start of another', async () => {
      await search(page, { keywords: 'zenith philh' });
      expect(await cardTitles(page)).toEqual([PHILHARMONIC.title]);
      const url = new URL(page.url());
      expect(url.searchParams.get('q')).toBe('zenith philh');
      // The form shows the search the URL holds.
      expect(await page.getByLabel('Keywords').inputValue()).toBe('zenith philh');
    });

    await step(visitor, 'search a prefix found in a title and in a venue, then narrow it by price', async () => {
      await search(page, { keywords: 'ZEN' });
      expect(await cardTitles(page)).toEqual([JAZZ.title, PHILHARMONIC.title]);

      await search(page, { keywords: 'ZEN', maxPrice: '100' });
      expect(await cardTitles(page)).toEqual([PHILHARMONIC.title]);
      expect(new URL(page.url()).searchParams.get('maxPrice')).toBe('100');
      expect(await page.getByRole('group', { name: 'Price ($)' }).getByLabel('Max').inputValue()).toBe('100');
    });
  });

  it('when a visitor sorts and filters by date, then the cards come in that order, and a card leads to the ticket page with its venue and start', async () => {
    const visitor = await newVisitor('visitor-sorts');
    const { page } = visitor;
    await page.goto('/');

    await step(visitor, 'sort by price and by date, and filter by dates', async () => {
      await search(page, { sort: 'price' });
      expect(await cardTitles(page)).toEqual([PHILHARMONIC.title, JAZZ.title, ROCK.title]);
      await search(page, { sort: 'date' });
      expect(await cardTitles(page)).toEqual([ROCK.title, PHILHARMONIC.title, JAZZ.title]);
      await search(page, { from: dayIn(20), sort: 'date' });
      expect(await cardTitles(page)).toEqual([PHILHARMONIC.title]);
    });

    await step(visitor, 'open a card and read the venue and start on the ticket page', async () => {
      await search(page, { keywords: 'pleyel' });
      await page.getByRole('link', { name: PHILHARMONIC.title }).click();
      await visible(page.getByRole('heading', { name: PHILHARMONIC.title }));
      const event = await page.getByTestId('ticket-event').textContent();
      expect(event).toContain('Salle Pleyel');
      expect(event).toMatch(/, 20:00 CES?T/);
    });
  });

  it('when JavaScript is disabled, then the same form searches, filters and sorts, and a refused value is named under its box', async () => {
    const withoutScripts = await newVisitor('visitor-no-js', false);
    const noScript = withoutScripts.page;

    await step(withoutScripts, 'search and filter with JavaScript disabled', async () => {
      await noScript.goto('/');
      await search(noScript, { keywords: 'Zénith', minPrice: '50' });
      expect(await cardTitles(noScript)).toEqual([JAZZ.title]);
      const url = new URL(noScript.url());
      expect(url.searchParams.get('q')).toBe('Zénith');
      expect(url.searchParams.get('minPrice')).toBe('50');
      expect(await noScript.getByRole('group', { name: 'Price ($)' }).getByLabel('Min').inputValue()).toBe('50');

      await search(noScript, { keywords: 'philharmo', sort: 'price' });
      expect(await cardTitles(noScript)).toEqual([PHILHARMONIC.title]);
      expect(await noScript.getByLabel('Sort by').inputValue()).toBe('price');
    });

    await step(withoutScripts, 'see the refused box named, with what was typed kept', async () => {
      // A URL typed by hand: the form itself only sends what its inputs allow.
      await noScript.goto('/?q=jazz&minPrice=cheap');
      await visible(noScript.getByText('minPrice must be a decimal from 0 to 999999.99 with at most 2 decimals'));
      expect(await noScript.getByLabel('Keywords').inputValue()).toBe('jazz');
    });
  });

  it('when more tickets match than fit on a page, then the next page link keeps the search', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-pages');
    const { page } = seller;
    // Listed through the API from the seller's browser session: the form is covered above, and 13 is one page and one card.
    for (let index = 1; index <= 13; index += 1) {
      const response = await page.request.post('/api/tickets', {
        data: { title: `Paged Quartet ${index}`, price: 10 + index, venue: 'Wigmore Hall' },
      });
      expect(response.status()).toBe(201);
    }
    await step(seller, 'walk to the second page of a search', async () => {
      await eventually(async () => {
        await page.goto('/');
        await search(page, { keywords: 'wigmore', sort: 'price' });
        expect(await cardTitles(page)).toHaveLength(12);
      });
      expect((await cardTitles(page))[0]).toBe('Paged Quartet 1');
      await Promise.all([page.waitForURL(/cursor=/), page.getByRole('link', { name: 'Next page' }).click()]);
      const url = new URL(page.url());
      expect(url.searchParams.get('q')).toBe('wigmore');
      expect(url.searchParams.get('sort')).toBe('price');
      expect(await cardTitles(page)).toEqual(['Paged Quartet 13']);
      expect(await page.getByLabel('Keywords').inputValue()).toBe('wigmore');
    });
  });
});
