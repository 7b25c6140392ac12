import { useTestStack } from '../helpers';
import { buyFromLandingPage, eventually, sellTicket, signUpInBrowser, step, useChromium, visible } from './browser';

// A short lock window, so that the reservation really runs out in the browser.
const context = useTestStack({
  services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
  env: { ORDER_EXPIRATION_SECONDS: '5' },
});
const chromium = useChromium();

describe('a reservation that runs out', () => {
  it('when B lets the order expire, then the ticket is back on the landing page and C can buy it', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-a');
    const title = `Standing ${Date.now()}`;
    await sellTicket(seller, title, '12');

    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-b');
    await buyFromLandingPage(buyer, title);
    await step(buyer, 'watch the reservation expire', async () => {
      // The countdown runs out, and the order's stream turns the page cancelled as soon as orders has cancelled
      // it (often before the countdown's next tick), saying why.
      await eventually(async () =>
        expect(await buyer.page.getByTestId('order-status').getAttribute('data-status')).toBe('cancelled'),
      );
      await visible(buyer.page.getByText('The reservation expired before payment, so this order was cancelled.'));
    });

    const third = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-c');
    await step(third, 'see the ticket back on the landing page', () =>
      eventually(async () => {
        await third.page.goto('/');
        expect(await third.page.getByRole('link', { name: title }).count()).toBe(1);
      }),
    );
    await buyFromLandingPage(third, title);
  });
});
