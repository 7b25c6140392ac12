import type { Page, Request } from 'playwright-core';
import { refuseConnections } from '@ticketing/common/testing';
import { useTestStack, type Charge, type Ticket } from '../helpers';
import {
  buyFromLandingPage,
  eventually,
  sellTicket,
  signUpInBrowser,
  step,
  useChromium,
  visible,
  type Visitor,
} from './browser';

const context = useTestStack({
  services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'],
  env: {
    // Limits small enough for the refusals test to reach them for real: one reservation held, two payment
    // attempts a minute. No other buyer of this file holds more than one order or pays at all.
    MAX_LIVE_ORDERS_PER_BUYER: '1',
    PAYMENT_RATE_LIMIT_PER_MINUTE: '2',
  },
});
const chromium = useChromium();

const PASSWORD = 'correct horse battery';

/** Hostile `?next=` values, written as they appear in a link (the page receives them decoded). */
const HOSTILE_NEXT = [
  '/%09/evil.example', // the example: a tab the browser drops, leaving //evil.example
  '/%0A/evil.example',
  '%2F%2Fevil.example',
  '/%5Cevil.example', // a backslash, which browsers read as a slash
  '%5C%5Cevil.example',
  'https%3A%2F%2Fevil.example%2F',
  'javascript%3Aalert(document.domain)',
  '%2F..%2F%2Fevil.example',
];

/** Every host a page asked for, to prove nothing was even requested from evil.example. */
function recordHosts(page: Page): Set<string> {
  const hosts = new Set<string>();
  page.on('request', (request) => hosts.add(new URL(request.url()).host));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && frame.url().startsWith('http')) hosts.add(new URL(frame.url()).host);
  });
  return hosts;
}

/** Cuts the page's live updates (every `…/stream` request fails), so it shows only what was rendered. */
async function blockLiveUpdates(page: Page): Promise<void> {
  await page.route(/\/api\/.+\/stream(\?.*)?$/, (route) => route.abort());
}

/**
 * The page's next call of a server action: the form's fields, posted to the page itself (the action talks to
 * the service on the server, so the browser never sees the service's answer, only what the page shows).
 */
function nextActionCall(page: Page): Promise<Request> {
  return page.waitForRequest((request) => request.method() === 'POST' && 'next-action' in request.headers());
}

/** A field of the form an action was called with (React prefixes each name, as `_1_ticketId`). */
function postedField(request: Request, name: string): string | undefined {
  return new RegExp(`name="(?:_?\\d+_)?${name}"\r\n\r\n([^\r]*)`).exec(request.postData() ?? '')?.[1];
}

/**
 * Waits until orders has taken in version `version` of the seller's ticket: its copy learns an edit from
 * ticket.updated, a moment after the seller saves. Asked to reserve at a version its copy has not reached,
 * orders waits for it (503 if it does not come); once there, it goes on to refuse the seller their own
 * ticket (403), and reserves nothing.
 */
async function untilOrdersHas(seller: Visitor, ticketId: string, version: number): Promise<void> {
  await eventually(async () => {
    const answer = await seller.page.request.post('/api/orders', { data: { ticketId, ticketVersion: version } });
    expect({ status: answer.status(), body: await answer.text() }).toEqual({
      status: 403,
      body: expect.stringContaining('You cannot buy your own ticket'),
    });
  });
}

/** The charges of an order, as its buyer sees them (GET /api/payments?orderId=). */
async function chargesOf(buyer: Visitor, orderPath: string): Promise<Charge[]> {
  const orderId = orderPath.split('/').pop() as string;
  const answer = await buyer.page.request.get(`/api/payments?orderId=${orderId}`);
  expect(answer.status()).toBe(200);
  return (await answer.json()) as Charge[];
}

/** The form's own alert (Next's route announcer is a role="alert" too, outside main). */
function alertSaying(page: Page, text: string | RegExp) {
  return page.locator('main').getByRole('alert').filter({ hasText: text });
}

describe('sign-in only ever returns to this site', () => {
  it('when a visitor signs in from a link with a hostile next (/%09/evil.example), then they land on the home page of this site', async () => {
    const origin = new URL(context.stack.url).origin;
    const visitor = await signUpInBrowser(chromium.browser, context.stack.url, 'redirected');
    const { page } = visitor;
    const hosts = recordHosts(page);

    await step(visitor, 'sign out', async () => {
      await page.getByRole('link', { name: 'Sign out' }).click();
      await visible(page.getByRole('link', { name: 'Sign in' }));
    });
    await step(visitor, 'sign in from the hostile link', async () => {
      await page.goto('/auth/signin?next=/%09/evil.example');
      await page.getByLabel('Email').fill(visitor.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname !== '/auth/signin');
      expect(new URL(page.url()).origin).toBe(origin);
      expect(new URL(page.url()).pathname).toBe('/');
      await visible(page.getByText(visitor.email));
    });

    await step(visitor, 'open each hostile link while signed in', async () => {
      // Signed in, the sign-in page redirects at once, on the server: the same check guards that path.
      for (const next of HOSTILE_NEXT) {
        await page.goto(`/auth/signin?next=${next}`);
        expect({ next, url: page.url() }).toEqual({ next, url: `${origin}/` });
      }
      // A path on this site is still followed.
      await page.goto('/auth/signin?next=%2Flistings');
      expect(page.url()).toBe(`${origin}/listings`);
    });
    expect([...hosts].filter((host) => host.includes('evil'))).toEqual([]);
  });

  it('when a visitor signs up from a link with next=//evil.example, then they land on the home page of this site', async () => {
    const origin = new URL(context.stack.url).origin;
    const page = await (await chromium.browser.newContext({ baseURL: context.stack.url })).newPage();
    const visitor = { name: 'signup-redirected', page, email: `signup-redirected-${Date.now()}@example.com` };
    const hosts = recordHosts(page);
    await step(visitor, 'sign up from the hostile link', async () => {
      await page.goto('/auth/signup?next=%2F%2Fevil.example');
      await page.getByLabel('Email').fill(visitor.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL((url) => url.pathname !== '/auth/signup');
      expect(new URL(page.url()).origin).toBe(origin);
      expect(new URL(page.url()).pathname).toBe('/');
      await visible(page.getByText(visitor.email));
    });
    expect([...hosts].filter((host) => host.includes('evil'))).toEqual([]);
  });
});

describe('the buyer pays the price they saw', () => {
  it('when the seller changes the price while B looks at the ticket without live updates, then B reads the refusal next to the new price, and buys at the new price', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-price');
    const title = `Repriced ${Date.now()}`;
    const ticketPath = await sellTicket(seller, title, '500');
    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-price');
    // A page whose stream does not get through (refused when the service is full, cut by a proxy) shows what
    // it rendered: the version it sends is the buyer's protection then. A live page shows the new price.
    await blockLiveUpdates(buyer.page);
    const livePage = await (await chromium.browser.newContext({ baseURL: context.stack.url })).newPage();

    const seen = await step(buyer, 'look at the ticket at $500', async () => {
      await livePage.goto(ticketPath);
      await visible(livePage.getByText('$500.00'));
      await buyer.page.goto(ticketPath);
      await visible(buyer.page.getByText('$500.00'));
      return (await (await buyer.page.request.get(`/api${ticketPath}`)).json()) as Ticket;
    });

    await step(seller, 'lower the price to $10', async () => {
      await seller.page.goto(ticketPath);
      await seller.page.getByLabel('Price', { exact: true }).fill('10');
      await seller.page.getByRole('button', { name: 'Save changes' }).click();
      await visible(seller.page.getByText('Your changes are saved.'));
    });

    await step(buyer, 'see the new price on a live page without a reload', async () => {
      await visible(livePage.locator('.price').getByText('$10.00'));
      expect(await buyer.page.getByText('$500.00').count()).toBeGreaterThan(0);
    });

    await step(seller, 'wait until orders knows the new price', () =>
      untilOrdersHas(seller, seen.id, seen.version + 1),
    );

    await step(buyer, 'purchase with the page still at $500, and read why it is refused', async () => {
      const sent = nextActionCall(buyer.page);
      await buyer.page.getByRole('button', { name: 'Purchase' }).click();
      const call = await sent;
      expect([postedField(call, 'ticketId'), postedField(call, 'ticketVersion')]).toEqual([seen.id, `${seen.version}`]);
      // Orders' 409, in its own words.
      await visible(alertSaying(buyer.page, 'The ticket changed; review the new price'));
      // The page's data is reloaded in place: the new price beside the message, no reload by hand.
      await visible(buyer.page.getByText('$10.00'));
      expect(await buyer.page.getByText('$500.00').count()).toBe(0);
      expect(new URL(buyer.page.url()).pathname).toBe(ticketPath);
    });

    await step(buyer, 'purchase again, at the price now shown', async () => {
      const sent = nextActionCall(buyer.page);
      await buyer.page.getByRole('button', { name: 'Purchase' }).click();
      expect(postedField(await sent, 'ticketVersion')).toBe(`${seen.version + 1}`);
      await buyer.page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
      // The order page shows the price stored on the order, which is what the pay button charges.
      await visible(buyer.page.getByRole('button', { name: 'Pay $10.00' }));
    });
  });
});

describe('refusals are shown in the API’s words', () => {
  it('when reserving or paying is refused (too many reservations, orders down, paying after a decline, too many payment attempts), then the buyer reads why', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-refusals');
    const held = `Held ${Date.now()}`;
    const wanted = `Wanted ${Date.now()}`;
    await sellTicket(seller, held, '30');
    // From the home page: the ticket page just reached has an edit form of its own, with a Title field.
    await seller.page.goto('/');
    const wantedPath = await sellTicket(seller, wanted, '40');
    const buyer = await signUpInBrowser(chromium.browser, context.stack.url, 'buyer-refusals');
    const { page } = buyer;

    // The one reservation MAX_LIVE_ORDERS_PER_BUYER allows in this file.
    await buyFromLandingPage(buyer, held);
    const heldOrderPath = new URL(page.url()).pathname;

    await step(buyer, 'purchase a second ticket while holding a reservation', async () => {
      await page.goto(wantedPath);
      await visible(page.getByRole('heading', { name: wanted }));
      await page.getByRole('button', { name: 'Purchase' }).click();
      // Orders' 429, in its own words.
      await visible(alertSaying(page, 'You already hold 1 reservation'));
      expect(await page.getByRole('button', { name: 'Purchase' }).isEnabled()).toBe(true);
    });

    await step(buyer, 'purchase while orders cannot reach its database', async () => {
      const restore = await refuseConnections(context.stack.databaseName('orders'));
      try {
        await page.getByRole('button', { name: 'Purchase' }).click();
        // Orders' 503, in its own words (a 503 with the envelope is shown as the service wrote it).
        await visible(alertSaying(page, 'Service unavailable, please try again'));
        expect(await page.getByRole('button', { name: 'Purchase' }).isEnabled()).toBe(true);
      } finally {
        await restore();
      }
    });

    // The held order stays open in a second tab of the same browser, as it was before the decline: a tab whose
    // live updates do not get through (a live tab turns cancelled on its own, as the first tab's stream says).
    const secondTab: Visitor = { ...buyer, name: 'buyer-refusals-second-tab', page: await page.context().newPage() };
    await blockLiveUpdates(secondTab.page);
    await step(secondTab, 'open the held order in a second tab', async () => {
      await secondTab.page.goto(heldOrderPath);
      await visible(secondTab.page.getByRole('button', { name: 'Pay $30.00' }));
    });

    await step(buyer, 'pay for the held order with the declined card', async () => {
      await page.goto(heldOrderPath);
      await page.getByLabel('Declined').check();
      await page.getByRole('button', { name: 'Pay $30.00' }).click();
      // Payments' 402, with the card's message.
      await visible(alertSaying(page, 'Your card was declined.'));
      // This tab knows of the decline: it offers no second attempt.
      expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    });

    await step(secondTab, 'pay again from the second tab, which still offers Pay', async () => {
      await secondTab.page.getByRole('button', { name: 'Pay $30.00' }).click();
      // Payments' 409, without calling Stripe again.
      await visible(alertSaying(secondTab.page, 'Payment was declined; this order is cancelled'));
      // Paying again cannot succeed: the form gives way to the cancelled order, and no card was charged again.
      await eventually(async () =>
        expect(await secondTab.page.getByTestId('order-status').getAttribute('data-status')).toBe('cancelled'),
      );
      await visible(secondTab.page.getByText('The payment was declined, so this order was cancelled.'));
      expect((await chargesOf(buyer, heldOrderPath)).map((charge) => charge.status)).toEqual(['failed']);
    });

    await step(buyer, 'purchase the wanted ticket, now that the held order is cancelled', async () => {
      await page.goto(wantedPath);
      await page.getByRole('button', { name: 'Purchase' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
      await visible(page.getByRole('button', { name: 'Pay $40.00' }));
    });
    await step(buyer, 'pay a third time within the minute', async () => {
      await page.getByRole('button', { name: 'Pay $40.00' }).click();
      // Payments' 429, in its own words.
      await visible(alertSaying(page, 'Too many payment attempts; please wait a minute'));
      expect(await page.getByRole('button', { name: 'Pay $40.00' }).isEnabled()).toBe(true);
      // Refused before Stripe: the order has no charge at all.
      expect(await chargesOf(buyer, new URL(page.url()).pathname)).toEqual([]);
    });
  });
});

describe('selling at a price that can be paid', () => {
  it('when a seller lists below $0.50 or above $999,999.99, then the API’s message shows under Price, and $0.50 lists', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'seller-range');
    const { page } = seller;
    await step(seller, 'read the price range on the sell form', async () => {
      await page.getByRole('link', { name: 'Sell a ticket' }).click();
      const price = page.getByLabel('Price');
      await visible(price);
      expect(await price.getAttribute('min')).toBe('0.50');
      expect(await price.getAttribute('max')).toBe('999999.99');
      await visible(page.getByText('In US dollars, from $0.50 to $999,999.99, up to two decimals.'));
    });
    for (const tooCheapOrDear of ['0.49', '1000000']) {
      await step(seller, `list at ${tooCheapOrDear}`, async () => {
        await page.getByLabel('Title').fill(`Out of range ${tooCheapOrDear}`);
        await page.getByLabel('Price').fill(tooCheapOrDear);
        await page.getByRole('button', { name: 'List ticket' }).click();
        // The API's message for `price`, under the field and tied to it; the seller stays on the form.
        const error = page.locator('#price-error');
        await visible(error);
        expect((await error.textContent())?.trim()).not.toBe('');
        expect(await page.getByLabel('Price').getAttribute('aria-invalid')).toBe('true');
        expect(new URL(page.url()).pathname).toBe('/tickets/new');
      });
    }
    await step(seller, 'list at $0.50', async () => {
      await page.getByLabel('Title').fill(`Cheapest ${Date.now()}`);
      await page.getByLabel('Price').fill('0.50');
      await page.getByRole('button', { name: 'List ticket' }).click();
      await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
      await visible(page.getByText('$0.50'));
    });
  });
});
