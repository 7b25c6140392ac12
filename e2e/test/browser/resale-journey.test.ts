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

describe('selling a bought ticket again in a browser', () => {
  it('when B bought a ticket, then B sells it again under the cap (above it is refused naming the cap) and C sees it listed', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-a');
    const title = `Resold stalls ${Date.now()}`;
    await sellTicket(seller, title, '40');

    const owner = await signUpInBrowser(chromium.browser, context.stack.url, 'owner-b');
    await buyFromLandingPage(owner, title);
    await payWith(owner, 'Visa (succeeds)');
    await visible(owner.page.getByTestId('receipt'), 30_000);

    const form = owner.page.getByRole('form', { name: `Sell ${title} again` });
    await step(
      owner,
      'open My tickets from the header and see the ticket with the price paid and the cap',
      async () => {
        await eventually(async () => {
          await owner.page.goto('/');
          await owner.page.getByRole('link', { name: 'My tickets' }).click();
          await owner.page.waitForURL(/\/mytickets$/);
          await visible(form, 2_000);
        });
        expect(await owner.page.getByTestId('owned-ticket').filter({ hasText: title }).textContent()).toContain(
          'Paid $40.00',
        );
        await visible(form.getByText('At most $40.00'));
      },
    );

    await step(owner, 'try a price above the cap and read the cap under the field', async () => {
      await form.getByLabel('Price').fill('40.01');
      await form.getByRole('button', { name: 'Sell again' }).click();
      await visible(form.getByRole('alert').filter({ hasText: 'Price must be at most 40.00 for this ticket' }));
    });

    await step(owner, 'sell it again under the cap', async () => {
      await form.getByLabel('Price').fill('35');
      await form.getByRole('button', { name: 'Sell again' }).click();
      await visible(owner.page.getByRole('link', { name: 'Listed again at $35.00' }));
    });

    const third = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-c');
    await step(third, 'see the resale listed on the landing page', async () => {
      await eventually(async () => {
        await third.page.goto('/');
        await visible(third.page.getByText(title), 2_000);
      });
      expect(await third.page.locator('body').textContent()).toContain('$35.00');
    });
  });
});
