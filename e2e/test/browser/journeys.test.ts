import { useTestStack } from '../helpers';
import {
  buyFromLandingPage,
  eventually,
  payWith,
  sellTicket,
  signUpInBrowser,
  step,
  useChromium,
  visible,
} from './browser';

const context = useTestStack({ services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'] });
const chromium = useChromium();

describe('buying and selling in a browser', () => {
  it('when A sells and B buys and pays with the test Visa, then B sees the order complete and A sees the ticket sold, no longer editable', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-a');
    const title = `Front row ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '25');

    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-b');
    await buyFromLandingPage(buyer, title);
    await step(buyer, 'see the price to pay', () => visible(buyer.page.getByRole('button', { name: 'Pay $25.00' })));
    await payWith(buyer, 'Visa (succeeds)');
    await step(buyer, 'see the receipt and the order complete', async () => {
      const receipt = buyer.page.getByTestId('receipt');
      await visible(receipt, 30_000);
      expect(await receipt.textContent()).toContain('$25.00');
      await eventually(async () =>
        expect(await buyer.page.getByTestId('order-status').getAttribute('data-status')).toBe('complete'),
      );
    });

    await step(seller, 'see the ticket sold and not editable', async () => {
      await eventually(async () => {
        await seller.page.goto(ticketPath);
        expect(await seller.page.getByText('Sold', { exact: true }).count()).toBeGreaterThan(0);
      });
      expect(await seller.page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
      expect(await seller.page.getByRole('button', { name: 'Purchase' }).isDisabled()).toBe(true);
    });

    await step(seller, 'sign out', async () => {
      await seller.page.getByRole('link', { name: 'Sign out' }).click();
      await visible(seller.page.getByRole('link', { name: 'Sign in' }));
      await seller.page.goto('/listings');
      // Signed out for real: a signed-in-only page sends the visitor to sign in.
      await seller.page.waitForURL(/\/auth\/signin/);
    });
  });

  it('when B pays with a declined card, then B sees the card’s message and the ticket is for sale again', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-a');
    const title = `Balcony ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '18.50');

    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-b');
    await buyFromLandingPage(buyer, title);
    await payWith(buyer, 'Declined');
    await step(buyer, 'see the decline message and the order cancelled', async () => {
      // Next adds a hidden route announcer with role="alert": look for ours inside the page's main.
      const alert = buyer.page.locator('main').getByRole('alert').filter({ hasText: 'Your card was declined.' });
      await visible(alert);
      await eventually(async () =>
        expect(await buyer.page.getByTestId('order-status').getAttribute('data-status')).toBe('cancelled'),
      );
    });

    await step(buyer, 'see the ticket for sale again', async () => {
      await eventually(async () => {
        await buyer.page.goto(ticketPath);
        expect(await buyer.page.getByText('For sale', { exact: true }).count()).toBeGreaterThan(0);
      });
      expect(await buyer.page.getByRole('button', { name: 'Purchase' }).isEnabled()).toBe(true);
    });
  });
});
