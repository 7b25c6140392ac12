import type { Page } from 'playwright-core';
import { useTestStack } from '../helpers';
import { sellTicket, signUpInBrowser, step, useChromium, visible, type Visitor } from './browser';

const context = useTestStack({ services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'] });
const chromium = useChromium();

/** Marks the document: a reload or a navigation would lose the mark, a live update keeps it. */
const markDocument = (page: Page) =>
  page.evaluate(() => Object.assign(globalThis, { liveMark: 'still the same page' }));
const stillTheSameDocument = (page: Page) => page.evaluate(() => (globalThis as { liveMark?: string }).liveMark);

/** Resolves once the page has a stream of live updates open (its answer's headers have arrived). */
const streamOpened = (page: Page, path: string) =>
  page.waitForResponse((response) => new URL(response.url()).pathname === path && response.status() === 200);

/** Waits, up to `timeoutMs`, for the element to have the attribute's value; resolves to how long it took. */
async function waitForAttribute(page: Page, selector: string, name: string, value: string, timeoutMs = 5_000) {
  const started = Date.now();
  for (;;) {
    const current = await page.locator(selector).first().getAttribute(name, { timeout: timeoutMs });
    if (current === value) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${selector} has ${name}="${current}", not "${value}"`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** B acts through the API with the session of B's browser (the page's request context shares its cookies). */
async function postAsVisitor<T>(visitor: Visitor, path: string, data: unknown): Promise<T> {
  const response = await visitor.page.request.post(path, { data });
  if (!response.ok()) throw new Error(`${path} answered ${response.status()}: ${await response.text()}`);
  return (await response.json()) as T;
}

describe('pages that stay true while they are open', () => {
  it('when B reserves the ticket A is looking at, then A’s ticket page and landing page show it reserved without a reload, then sold, and B’s order page turns complete once paid', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-live');
    const title = `Live ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '30');
    const ticketId = ticketPath.split('/').pop()!;

    const watcher = await signUpInBrowser(chromium.browser, context.stack.url, 'watcher-live');
    const landing = await watcher.page.context().newPage();
    await step(watcher, 'open the ticket page and the landing page', async () => {
      // Each page has its stream open before anything happens (the landing page: one for all its cards).
      const ticketStream = streamOpened(watcher.page, `/api/tickets/${ticketId}/stream`);
      await watcher.page.goto(ticketPath);
      await visible(watcher.page.getByRole('heading', { name: title }));
      await visible(watcher.page.locator('.badge').getByText('For sale'));
      await ticketStream;
      const cardsStream = streamOpened(landing, '/api/tickets/stream');
      await landing.goto('/');
      await visible(landing.getByRole('link', { name: title }));
      await cardsStream;
      await Promise.all([markDocument(watcher.page), markDocument(landing)]);
    });

    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-live');
    const order = await step(buyer, 'reserve the ticket through the API', async () => {
      const ticket = (await (await buyer.page.request.get(`/api/tickets/${ticketId}`)).json()) as { version: number };
      return postAsVisitor<{ id: string }>(buyer, '/api/orders', { ticketId, ticketVersion: ticket.version });
    });

    await step(watcher, 'see the ticket reserved without a reload', async () => {
      const took = await waitForAttribute(
        watcher.page,
        '[aria-labelledby="ticket-heading"] .badge',
        'class',
        'badge badge-reserved',
      );
      await visible(watcher.page.getByText('Someone is buying this ticket right now.', { exact: false }));
      expect(await watcher.page.getByRole('button', { name: 'Purchase' }).isDisabled()).toBe(true);
      expect(await stillTheSameDocument(watcher.page)).toBe('still the same page');
      expect(took).toBeLessThan(5_000);
    });
    await step(watcher, 'see its card on the landing page reserved too', async () => {
      const card = `[data-testid="ticket-card"]:has(a[href="/tickets/${ticketId}"])`;
      await waitForAttribute(landing, card, 'data-state', 'reserved');
      expect(await stillTheSameDocument(landing)).toBe('still the same page');
    });

    await step(buyer, 'open the order page and pay through the API while it is open', async () => {
      const orderStream = streamOpened(buyer.page, `/api/orders/${order.id}/stream`);
      await buyer.page.goto(`/orders/${order.id}`);
      await visible(buyer.page.getByRole('timer'));
      expect(await buyer.page.getByTestId('order-status').getAttribute('data-status')).toBe('created');
      await orderStream;
      await markDocument(buyer.page);
      await postAsVisitor(buyer, '/api/payments', { orderId: order.id, paymentMethodId: 'pm_card_visa' });
      // Nothing on the page asked: only the order's stream can tell it.
      await waitForAttribute(buyer.page, '[data-testid="order-status"]', 'data-status', 'complete', 10_000);
      await visible(buyer.page.getByRole('heading', { name: /Paid|Receipt/ }));
      expect(await stillTheSameDocument(buyer.page)).toBe('still the same page');
    });

    await step(watcher, 'see the ticket sold', async () => {
      await waitForAttribute(
        watcher.page,
        '[aria-labelledby="ticket-heading"] .badge',
        'class',
        'badge badge-sold',
        10_000,
      );
      await waitForAttribute(
        landing,
        `[data-testid="ticket-card"]:has(a[href="/tickets/${ticketId}"])`,
        'data-state',
        'sold',
      );
      expect(await stillTheSameDocument(watcher.page)).toBe('still the same page');
    });
  });
});
