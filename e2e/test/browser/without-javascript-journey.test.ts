import type { Page } from 'playwright-core';
import { useTestStack } from '../helpers';
import { eventually, step, useChromium, visible, type Visitor } from './browser';

// Services at `info`, so each request's line (method and URL) is in the logs, where a password must never be.
const context = useTestStack({
  services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
  env: { LOG_LEVEL: 'info' },
});
const chromium = useChromium();

const PASSWORD = 'correct horse battery';
/** The password as a query string or a log line would spell it. */
const PASSWORD_SPELLINGS = [PASSWORD, encodeURIComponent(PASSWORD), PASSWORD.replaceAll(' ', '+')];

/** A visitor whose browser runs no script at all: every form is a plain HTML form, posted as a page. */
interface ScriptlessVisitor extends Visitor {
  /** Every request the browser made: method and URL. */
  requests: { method: string; url: string }[];
}

let visitors = 0;

async function openWithoutJavaScript(name: string): Promise<ScriptlessVisitor> {
  const page = await (
    await chromium.browser.newContext({ baseURL: context.stack.url, javaScriptEnabled: false })
  ).newPage();
  visitors += 1;
  const visitor: ScriptlessVisitor = {
    name,
    page,
    email: `${name}-${visitors}-${Date.now()}@example.com`,
    requests: [],
  };
  page.on('request', (request) => visitor.requests.push({ method: request.method(), url: request.url() }));
  return visitor;
}

/** Signs up through the sign-up page and checks the session works: a signed-in-only page opens. */
async function signUpWithoutJavaScript(name: string): Promise<ScriptlessVisitor> {
  const visitor = await openWithoutJavaScript(name);
  const { page } = visitor;
  await step(visitor, 'sign up', async () => {
    await page.goto('/auth/signup');
    await page.getByLabel('Email').fill(visitor.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.goto('/orders');
    expect(new URL(page.url()).pathname).toBe('/orders');
    await visible(page.getByRole('heading', { name: 'My orders' }));
  });
  return visitor;
}

/** The form's own alert (Next's route announcer is a role="alert" too, outside main). */
function alertSaying(page: Page, text: string | RegExp) {
  return page.locator('main').getByRole('alert').filter({ hasText: text });
}

async function listTicket(seller: ScriptlessVisitor, title: string, price: string): Promise<string> {
  return step(seller, `list ${title}`, async () => {
    const { page } = seller;
    await page.goto('/tickets/new');
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Price').fill(price);
    await page.getByRole('button', { name: 'List ticket' }).click();
    await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    await visible(page.getByRole('heading', { name: title }));
    return new URL(page.url()).pathname;
  });
}

async function purchase(buyer: ScriptlessVisitor, ticketPath: string, price: string): Promise<string> {
  return step(buyer, `purchase ${ticketPath}`, async () => {
    const { page } = buyer;
    await page.goto(ticketPath);
    await page.getByRole('button', { name: 'Purchase' }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    // The reservation is held: the time left (static without scripts) and the price to pay.
    await visible(page.getByRole('timer'));
    await visible(page.getByRole('button', { name: `Pay ${price}` }));
    return new URL(page.url()).pathname;
  });
}

describe('every form works without JavaScript', () => {
  it('when a visitor signs up, signs out, then signs in with a wrong and then the right password, then the password only ever travels in a POST body', async () => {
    const visitor = await signUpWithoutJavaScript('scriptless-account');
    const { page } = visitor;

    await step(visitor, 'sign out', async () => {
      await page.goto('/auth/signout');
      await page.getByRole('button', { name: 'Sign out now' }).click();
      await page.waitForURL((url) => url.pathname === '/');
      await page.goto('/orders');
      await page.waitForURL((url) => url.pathname === '/auth/signin');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/orders');
    });

    await step(visitor, 'sign in with a wrong password', async () => {
      // Rendered on the server as a POST form: a submission before any script runs is a POST too.
      expect((await page.locator('main form').getAttribute('method'))?.toLowerCase()).toBe('post');
      await page.getByLabel('Email').fill(visitor.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await visible(alertSaying(page, 'Invalid credentials'));
      // The email is kept, the password is not sent back, and `next` still leads to the orders.
      expect(await page.getByLabel('Email').inputValue()).toBe(visitor.email);
      expect(await page.getByLabel('Password').inputValue()).toBe('');
      expect(await page.content()).not.toContain('not the password');
      expect(new URL(page.url()).pathname).toBe('/auth/signin');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/orders');
    });

    await step(visitor, 'sign in with the right password', async () => {
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/orders');
      await visible(page.getByRole('heading', { name: 'My orders' }));
    });

    const formPosts = visitor.requests.filter((request) => /\/auth\/sign(in|up)/.test(new URL(request.url).pathname));
    expect(formPosts.filter((request) => request.method === 'POST')).toHaveLength(3);
    for (const { url } of visitor.requests) {
      for (const spelling of PASSWORD_SPELLINGS) expect(url).not.toContain(spelling);
    }
    // Auth logged a request line for each sign-in (so the check below looks at real lines), none with the password.
    const signInLines = context.stack.serviceLines.filter(
      (line) => line.includes('"method":"POST"') && line.includes('"url":"/api/users/signin"'),
    );
    expect(signInLines.length).toBeGreaterThanOrEqual(2);
    for (const line of context.stack.serviceLines) {
      for (const spelling of PASSWORD_SPELLINGS) expect(line).not.toContain(spelling);
    }
  });

  it('when a seller lists at a price out of range, then the message shows under Price with the title kept; then the listing is made and can be edited from My listings', async () => {
    const seller = await signUpWithoutJavaScript('scriptless-seller');
    const { page } = seller;
    const title = `No script ${Date.now()}`;

    await step(seller, 'list below $0.50', async () => {
      await page.goto('/tickets/new');
      await page.getByLabel('Title').fill(title);
      await page.getByLabel('Price').fill('0.49');
      await page.getByRole('button', { name: 'List ticket' }).click();
      await visible(page.locator('#price-error'));
      expect((await page.locator('#price-error').textContent())?.trim()).not.toBe('');
      expect(await page.getByLabel('Price').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('Title').inputValue()).toBe(title);
      expect(await page.getByLabel('Price').inputValue()).toBe('0.49');
      expect(new URL(page.url()).pathname).toBe('/tickets/new');
    });

    const ticketPath = await step(seller, 'list at $21', async () => {
      await page.getByLabel('Price').fill('21');
      await page.getByRole('button', { name: 'List ticket' }).click();
      await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
      await visible(page.getByRole('heading', { name: title }));
      await visible(page.getByText('$21.00'));
      return new URL(page.url()).pathname;
    });

    await step(seller, 'press Purchase on their own ticket', async () => {
      // Without scripts the shared page cannot know who is looking, so it offers Purchase to the seller too.
      const answer = page.waitForResponse(
        (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === ticketPath,
      );
      await page.getByRole('button', { name: 'Purchase' }).click();
      await visible(alertSaying(page, 'You cannot buy your own ticket'));
      // The page sent back for this seller's attempt is theirs alone: the edge must not share it (Next marks the
      // answer to a posted form no-store, whatever next.config says of the page).
      expect((await answer).headers()['cache-control']).not.toMatch(/public|s-maxage/);
      expect(new URL(page.url()).pathname).toBe(ticketPath);
    });

    await step(seller, 'edit the price from My listings', async () => {
      await page.goto('/listings');
      await page.getByRole('link', { name: `Edit ${title}` }).click();
      await page.waitForURL((url) => url.pathname === `${ticketPath}/edit`);
      expect(await page.getByLabel('Price').inputValue()).toBe('21');
      await page.getByLabel('Price').fill('19.50');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await visible(page.getByText('Your changes are saved.'));
      expect(await page.getByLabel('Price').inputValue()).toBe('19.50');
      // The ticket's page is shared by the edge for a second: the new price shows within one.
      await eventually(async () => {
        await page.goto(ticketPath);
        expect(await page.getByText('$19.50').count()).toBeGreaterThan(0);
      });
    });
  });

  it('when a buyer reserves a ticket, then they can cancel it, and reserve and pay for another with the test Visa', async () => {
    const seller = await signUpWithoutJavaScript('scriptless-seller');
    const first = await listTicket(seller, `Cancelled later ${Date.now()}`, '14');
    const second = await listTicket(seller, `Paid later ${Date.now()}`, '16.25');
    const buyer = await signUpWithoutJavaScript('scriptless-buyer');
    const { page } = buyer;

    await purchase(buyer, first, '$14.00');
    await step(buyer, 'cancel the order', async () => {
      await page.getByRole('button', { name: 'Cancel order' }).click();
      await visible(page.getByText('You cancelled this order.'));
      expect(await page.getByTestId('order-status').getAttribute('data-status')).toBe('cancelled');
    });

    await purchase(buyer, second, '$16.25');
    await step(buyer, 'pay with the test Visa', async () => {
      await page.getByLabel('Visa (succeeds)').check();
      await page.getByRole('button', { name: 'Pay $16.25' }).click();
      const receipt = page.getByTestId('receipt');
      await visible(receipt);
      expect(await receipt.textContent()).toContain('$16.25');
      // Orders completes the order from payments' event a moment later: a reload shows it.
      await eventually(async () => {
        await page.reload();
        expect(await page.getByTestId('order-status').getAttribute('data-status')).toBe('complete');
      });
    });

    // The forms posted to their pages; no state-changing request was a GET with the form's fields.
    expect(buyer.requests.filter((request) => /[?&](ticketId|orderId|paymentMethodId)=/.test(request.url))).toEqual([]);
  });

  it('when a signed-out visitor presses Purchase, then they are sent to sign up and come back to the ticket', async () => {
    const seller = await signUpWithoutJavaScript('scriptless-lister');
    const ticketPath = await listTicket(seller, `Sign in first ${Date.now()}`, '30');
    const stranger = await openWithoutJavaScript('scriptless-stranger');
    const { page } = stranger;
    await step(stranger, 'press Purchase signed out', async () => {
      await page.goto(ticketPath);
      await page.getByRole('button', { name: 'Purchase' }).click();
      await page.waitForURL((url) => url.pathname === '/auth/signin');
      expect(new URL(page.url()).searchParams.get('next')).toBe(ticketPath);
    });
    await step(stranger, 'sign up from there, and purchase', async () => {
      await page.getByRole('link', { name: 'New here? Create an account' }).click();
      await page.getByLabel('Email').fill(stranger.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL((url) => url.pathname === ticketPath);
    });
    await purchase(stranger, ticketPath, '$30.00');
  });
});
