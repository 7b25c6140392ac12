import type { Page } from 'playwright-core';
import { useTestStack } from '../helpers';
import { eventually, sellTicket, signUpInBrowser, step, useChromium, visible } from './browser';

const context = useTestStack({ services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'] });
const chromium = useChromium();

/** The page's HTML as the edge would share it: what the server sent, before any script ran. */
async function documentOf(page: Page, path: string) {
  const response = await page.request.get(path);
  return { cacheControl: response.headers()['cache-control'], html: await response.text() };
}

/** The panel where a ticket page offers Purchase, or says why not. */
const buyPanel = (page: Page) => page.locator('section[aria-labelledby="buy-heading"]');

describe('the public pages are the same for everyone, and the browser makes them personal', () => {
  it('when the seller, a buyer and a signed-out visitor open one ticket, then each gets the same shared HTML and sees what fits them', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-shared');
    const title = `Shared ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '42');
    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-shared');
    const stranger = await (await chromium.browser.newContext({ baseURL: context.stack.url })).newPage();

    await step(buyer, 'compare the HTML each visitor is sent', async () => {
      const documents = await Promise.all(
        [seller.page, buyer.page, stranger].map((page) => documentOf(page, ticketPath)),
      );
      for (const document of documents) {
        // Shared by the edge for a second, kept by no browser.
        expect(document.cacheControl).toBe('public, max-age=0, s-maxage=1');
        expect(document.html).toContain(title);
        expect(document.html).not.toContain(seller.email);
        expect(document.html).not.toContain(buyer.email);
      }
      const home = await Promise.all([seller.page, stranger].map((page) => documentOf(page, '/')));
      expect(home.map((document) => document.cacheControl)).toEqual(Array(2).fill('public, max-age=0, s-maxage=1'));
      expect(home[0]?.html).not.toContain(seller.email);
      // The seller's own pages stay personal and unshared.
      expect((await documentOf(seller.page, '/listings')).cacheControl).toMatch(/no-store/);
    });

    await step(seller, 'see the listing as its seller', async () => {
      await seller.page.goto(ticketPath);
      await visible(seller.page.getByText(seller.email));
      await visible(buyPanel(seller.page).getByText('This is your listing, so you cannot buy it.'));
      expect(await buyPanel(seller.page).getByRole('button', { name: 'Purchase' }).isDisabled()).toBe(true);
      await visible(seller.page.getByRole('button', { name: 'Save changes' }));
      expect(await seller.page.locator('dl.facts dd').nth(1).textContent()).toBe('You');
    });

    await step(buyer, 'see the ticket as a buyer', async () => {
      await buyer.page.goto(ticketPath);
      await visible(buyer.page.getByText(buyer.email));
      expect(await buyPanel(buyer.page).getByRole('button', { name: 'Purchase' }).isEnabled()).toBe(true);
      expect(await buyer.page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
      expect(await buyer.page.locator('dl.facts dd').nth(1).textContent()).toBe('A Ticketing member');
    });

    await step(
      { name: 'stranger-shared', page: stranger, email: '' },
      'see the ticket signed out, and be asked to sign in',
      async () => {
        await stranger.goto(ticketPath);
        await visible(stranger.getByRole('link', { name: 'Sign in', exact: true }));
        await visible(buyPanel(stranger).getByText('Sign in to buy this ticket.'));
        expect(await buyPanel(stranger).getByRole('button', { name: 'Purchase' }).isDisabled()).toBe(true);
        await stranger.getByRole('link', { name: 'Log in and come back here' }).click();
        await stranger.waitForURL(/\/auth\/signin\?next=/);
      },
    );
  });

  it('when the seller changes the price, then another visitor’s reload shows it within about a second', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-reprice');
    const title = `Repriced shared ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '70');
    const visitor = await (await chromium.browser.newContext({ baseURL: context.stack.url })).newPage();
    await visitor.goto(ticketPath);
    await visible(visitor.getByText('$70.00'));

    await step(seller, 'lower the price to $65', async () => {
      await seller.page.getByLabel('Price', { exact: true }).fill('65');
      await seller.page.getByRole('button', { name: 'Save changes' }).click();
      await visible(seller.page.getByText('Your changes are saved.'));
      // The seller's own page shows the new price at once (its refresh is never served from the edge).
      await visible(seller.page.locator('.price').getByText('$65.00'));
    });
    const savedAt = Date.now();
    await eventually(async () => {
      await visitor.goto(ticketPath);
      expect(await visitor.getByText('$65.00').count()).toBeGreaterThan(0);
    });
    // At most a second in the edge, plus a page load or two.
    expect(Date.now() - savedAt).toBeLessThan(3_000);
  });

  it('when the header is filled in, then nothing below it moves; without JavaScript it offers links that work for anyone', async () => {
    const visitor = await signUpInBrowser(chromium.browser, context.stack.url, 'header-shared');
    const withoutScripts = await (
      await chromium.browser.newContext({ baseURL: context.stack.url, javaScriptEnabled: false })
    ).newPage();

    await withoutScripts.goto('/');
    await visitor.page.goto('/');
    await visible(visitor.page.getByText(visitor.email));

    const mainTop = async (page: Page) => (await page.locator('main').boundingBox())?.y;
    expect(await mainTop(visitor.page)).toBe(await mainTop(withoutScripts));
    await visible(withoutScripts.getByRole('link', { name: 'Sign in' }));
    await visible(withoutScripts.getByRole('link', { name: 'My orders' }));
  });
});
