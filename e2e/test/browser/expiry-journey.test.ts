import type { Browser } from 'playwright-core';
import { startTestStack, type TestStack } from '../helpers';
import { buyFromLandingPage, eventually, launchChromium, sellTicket, signUpInBrowser, step, visible } from './browser';

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  // A short lock window, so that the reservation really runs out in the browser.
  stack = await startTestStack({
    services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
    env: { ORDER_EXPIRATION_SECONDS: '5' },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.destroy();
});

describe('a reservation that runs out', () => {
  it('when B lets the order expire, then the ticket is back on the landing page and C can buy it', async () => {
    const seller = await signUpInBrowser(browser, stack.url, 'seller-a');
    const title = `Standing ${Date.now()}`;
    await sellTicket(seller, title, '12');

    const buyer = await signUpInBrowser(browser, stack.url, 'buyer-b');
    await buyFromLandingPage(buyer, title);
    await step(buyer, 'watch the reservation expire', async () => {
      await visible(buyer.page.getByRole('timer').filter({ hasText: /expired/i }), 20_000);
      await eventually(async () =>
        expect(await buyer.page.getByTestId('order-status').getAttribute('data-status')).toBe('cancelled'),
      );
    });

    const third = await signUpInBrowser(browser, stack.url, 'buyer-c');
    await step(third, 'see the ticket back on the landing page', () =>
      eventually(async () => {
        await third.page.goto('/');
        expect(await third.page.getByRole('link', { name: title }).count()).toBe(1);
      }),
    );
    await buyFromLandingPage(third, title);
  });
});
