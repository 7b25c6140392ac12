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

// A lock window short enough to wait out in the browser, long enough for B to join the line within A's.
const context = useTestStack({
  services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
  env: { ORDER_EXPIRATION_SECONDS: '20' },
});
const chromium = useChromium();

describe('the waiting list', () => {
  it('when A’s reservation runs out while B waits in line, then B sees it reserved for them, finds it in My orders and pays', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-s');
    const title = `Waiting list ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '31');
    const waiter = await signUpInBrowser(chromium.browser, context.stack.url, 'waiter-b');
    const holder = await signUpInBrowser(chromium.browser, context.stack.url, 'holder-a');

    await buyFromLandingPage(holder, title);

    await step(waiter, 'join the waiting list of the reserved ticket', async () => {
      const join = waiter.page.getByRole('button', { name: 'Join the waiting list' });
      // Tickets shows the lock once it has A's order.created, and the edge shares the page for a second.
      await eventually(async () => {
        await waiter.page.goto(ticketPath);
        await visible(join, 2_000);
      });
      expect(await waiter.page.getByText('Reserved', { exact: true }).count()).toBeGreaterThan(0);
      await join.click();
      const position = waiter.page.getByTestId('waiting-list-position');
      await visible(position);
      expect(await position.textContent()).toContain('You are number 1 on the waiting list');
      await visible(waiter.page.getByRole('button', { name: 'Leave the waiting list' }));
    });

    // Left open: My orders follows the tickets it lists, and shows the hand-over without a reload too.
    const ordersTab = await waiter.page.context().newPage();
    await step(waiter, 'see their place under Waiting lists in My orders, in another tab', async () => {
      await ordersTab.goto('/orders');
      const places = ordersTab.getByRole('list', { name: 'Waiting lists' });
      await visible(places.getByRole('link', { name: title }));
      expect(await places.textContent()).toContain('$31.00 · number 1 in line');
    });

    await step(waiter, 'see the ticket reserved for them when A’s reservation runs out, without reloading', () =>
      visible(waiter.page.getByText('This ticket is reserved for you.'), 60_000),
    );

    await step(waiter, 'see the order in the My orders tab they left open, and no longer a place in line', async () => {
      try {
        const orders = ordersTab.getByRole('list', { name: 'Orders' });
        await visible(orders.getByRole('link', { name: title }));
        expect(await orders.getByTestId('order-status').first().getAttribute('data-status')).toBe('created');
        expect(await ordersTab.getByRole('list', { name: 'Waiting lists' }).count()).toBe(0);
      } finally {
        await ordersTab.close();
      }
    });

    await step(waiter, 'find the order in My orders', async () => {
      await waiter.page.getByRole('link', { name: 'My orders' }).first().click();
      await waiter.page.waitForURL(/\/orders$/);
      const orders = waiter.page.getByRole('list', { name: 'Orders' });
      await visible(orders.getByRole('link', { name: title }));
      expect(await orders.getByTestId('order-status').first().getAttribute('data-status')).toBe('created');
      await orders.getByRole('link', { name: title }).click();
      await waiter.page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
      await visible(waiter.page.getByRole('timer'));
    });

    await step(waiter, 'see the price to pay', () => visible(waiter.page.getByRole('button', { name: 'Pay $31.00' })));
    await payWith(waiter, 'Visa (succeeds)');
    await step(waiter, 'see the receipt', async () => {
      const receipt = waiter.page.getByTestId('receipt');
      await visible(receipt, 30_000);
      expect(await receipt.textContent()).toContain('$31.00');
    });

    await step(holder, 'see their own order cancelled', async () => {
      await holder.page.reload();
      expect(await holder.page.getByTestId('order-status').getAttribute('data-status')).toBe('cancelled');
    });
  });

  it('when a buyer without JavaScript joins a reserved ticket’s waiting list, then they read their position and can leave it', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-t');
    const title = `No scripts in line ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '12');
    const holder = await signUpInBrowser(chromium.browser, context.stack.url, 'holder-c');
    await buyFromLandingPage(holder, title);

    const page = await (
      await chromium.browser.newContext({ baseURL: context.stack.url, javaScriptEnabled: false })
    ).newPage();
    const waiter = { name: 'scriptless-waiter', page, email: `scriptless-waiter-${Date.now()}@example.com` };
    await step(waiter, 'sign up without JavaScript', async () => {
      await page.goto('/auth/signup');
      await page.getByLabel('Email').fill(waiter.email);
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL((url) => url.pathname === '/');
    });

    await step(waiter, 'join the waiting list', async () => {
      await eventually(async () => {
        await page.goto(ticketPath);
        expect(await page.getByText('Reserved', { exact: true }).count()).toBeGreaterThan(0);
      });
      await page.getByRole('button', { name: 'Join the waiting list' }).click();
      const position = page.getByTestId('waiting-list-position');
      await visible(position);
      expect(await position.textContent()).toContain('You are number 1 on the waiting list');
    });

    await step(waiter, 'leave it', async () => {
      await page.getByRole('button', { name: 'Leave the waiting list' }).click();
      await visible(page.getByRole('button', { name: 'Join the waiting list' }));
      await page.goto('/orders');
      expect(await page.getByRole('list', { name: 'Waiting lists' }).count()).toBe(0);
    });
  });
});
