import type { BrowserContextOptions, Locator, Page } from 'playwright-core';
import { useTestStack } from '../helpers';
import { eventually, signUpInBrowser, step, useChromium, visible, type Visitor } from './browser';

/**
 * Each process reads the revocations every SESSION_VERSION_CACHE_MS (5 s by default): half a second here, so a
 * revoked cookie is refused soon after "Sign out everywhere" and the journeys stay short.
 */
const REVOCATION_WINDOW_MS = 500;
/**
 * How long a revoked copy may keep working before the journey fails: the window, a page render and a reload,
 * with room for a busy machine; still well below a window that never comes (SESSION_VERSION_CACHE_MS can be
 * at most 60 s), so the journeys fail if revocation is not enforced.
 */
const REFUSED_WITHIN_MS = 15_000;

const context = useTestStack({
  services: ['auth', 'tickets', 'orders', 'client'],
  env: { SESSION_VERSION_CACHE_MS: String(REVOCATION_WINDOW_MS) },
});
const chromium = useChromium();

const PASSWORD = 'correct horse battery';
let visitors = 0;

/**
 * The header's way to the account: the email, named for screen readers too. The hidden parts are positioned
 * absolutely, which makes them blocks, so the accessible name puts a space before ": your account".
 */
function accountLink(page: Page, email: string) {
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByRole('link', { name: new RegExp(`^Signed in as ${escaped}\\s*: your account$`) });
}

/**
 * A second browser holding a copy of the visitor's session cookie, as someone who took it from their machine
 * (or another device of theirs) would.
 */
async function copyTheCookie(visitor: Visitor, name: string, options: BrowserContextOptions = {}): Promise<Visitor> {
  const copy = await chromium.browser.newContext({ ...options, baseURL: context.stack.url });
  const cookies = await visitor.page.context().cookies();
  expect(cookies.map((cookie) => cookie.name)).toContain('session');
  await copy.addCookies(cookies);
  return { name, page: await copy.newPage(), email: visitor.email };
}

/** The orders page opens for the copy: the session it holds is the visitor's own. */
async function expectSignedIn(copy: Visitor): Promise<void> {
  await step(copy, 'open My orders with the copied cookie', async () => {
    await copy.page.goto('/orders');
    expect(new URL(copy.page.url()).pathname).toBe('/orders');
    await visible(copy.page.getByRole('heading', { name: 'My orders' }));
  });
}

/** Within the revocation window, the copy's signed-in pages send it to sign in. */
async function expectSentToSignIn(copy: Visitor): Promise<void> {
  await step(copy, 'be sent to sign in with the copied cookie', async () => {
    await eventually(async () => {
      await copy.page.goto('/orders');
      expect(new URL(copy.page.url()).pathname).toBe('/auth/signin');
    }, REFUSED_WITHIN_MS);
    expect(new URL(copy.page.url()).searchParams.get('next')).toBe('/orders');
  });
}

/** Signs up through the sign-up page in a browser that runs no script (every form a plain HTML form). */
async function signUpWithoutJavaScript(name: string): Promise<Visitor> {
  const page = await (
    await chromium.browser.newContext({ baseURL: context.stack.url, javaScriptEnabled: false })
  ).newPage();
  visitors += 1;
  const visitor: Visitor = { name, page, email: `${name}-${visitors}-${Date.now()}@example.com` };
  await step(visitor, 'sign up', async () => {
    await page.goto('/auth/signup');
    await page.getByLabel('Email').fill(visitor.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL((url) => url.pathname === '/');
  });
  return visitor;
}

describe('signing out everywhere from the account page', () => {
  it('when a user signs out everywhere, then this browser is signed out and a copy of its cookie is refused within the revocation window', async () => {
    const owner = await signUpInBrowser(chromium.browser, context.stack.url, 'account-owner');
    const copy = await copyTheCookie(owner, 'account-copy');

    await expectSignedIn(copy);
    await step(copy, 'see the header name the user', () => visible(accountLink(copy.page, owner.email)));

    await step(owner, 'open the account from the email in the header', async () => {
      await accountLink(owner.page, owner.email).click();
      await owner.page.waitForURL((url) => url.pathname === '/account');
      await visible(owner.page.getByRole('heading', { name: 'Your account' }));
      await visible(owner.page.getByText(`Signed in as ${owner.email}.`));
    });

    await step(owner, 'sign out everywhere', async () => {
      await owner.page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await owner.page.waitForURL((url) => url.pathname === '/');
      await visible(owner.page.getByRole('link', { name: 'Sign in' }));
      expect(await owner.page.getByText(owner.email).count()).toBe(0);
      await owner.page.goto('/account');
      await owner.page.waitForURL((url) => url.pathname === '/auth/signin');
    });

    await expectSentToSignIn(copy);
    await step(copy, 'see the header offer Sign in after a reload', async () => {
      await copy.page.goto('/');
      await visible(copy.page.getByRole('link', { name: 'Sign in' }));
      expect(await copy.page.getByText(owner.email).count()).toBe(0);
    });
  });

  it('when a user signs out everywhere with JavaScript disabled, then the form still posts and a copy of the cookie is refused', async () => {
    const owner = await signUpWithoutJavaScript('scriptless-owner');
    const copy = await copyTheCookie(owner, 'scriptless-copy', { javaScriptEnabled: false });
    await expectSignedIn(copy);

    await step(owner, 'open the account from the header', async () => {
      // Without scripts the header cannot know who is looking: it offers every link, Account among them.
      await owner.page.getByRole('link', { name: 'Account', exact: true }).click();
      await owner.page.waitForURL((url) => url.pathname === '/account');
      await visible(owner.page.getByText(`Signed in as ${owner.email}.`));
      expect((await owner.page.locator('main form').getAttribute('method'))?.toLowerCase()).toBe('post');
    });

    await step(owner, 'sign out everywhere', async () => {
      await owner.page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await owner.page.waitForURL((url) => url.pathname === '/');
      await owner.page.goto('/account');
      await owner.page.waitForURL((url) => url.pathname === '/auth/signin');
      expect(new URL(owner.page.url()).searchParams.get('next')).toBe('/account');
    });

    await expectSentToSignIn(copy);
  });

  it('when a keyboard user tabs to the email in the header and to the button, then Enter opens the account and signs out everywhere', async () => {
    const owner = await signUpInBrowser(chromium.browser, context.stack.url, 'keyboard-owner');
    const copy = await copyTheCookie(owner, 'keyboard-copy');
    await expectSignedIn(copy);
    const { page } = owner;

    /** Presses Tab until the element has the focus (a bounded number of times: it must be reachable). */
    async function tabTo(name: string, target: Locator): Promise<void> {
      for (let presses = 0; presses < 40; presses += 1) {
        await page.keyboard.press('Tab');
        if ((await target.and(page.locator(':focus')).count()) === 1) return;
      }
      throw new Error(`${name} is not reachable with Tab`);
    }

    await step(owner, 'tab to the email in the header and press Enter', async () => {
      await page.goto('/');
      await visible(accountLink(page, owner.email));
      await tabTo('the account link', accountLink(page, owner.email));
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.pathname === '/account');
      await visible(page.getByRole('heading', { name: 'Your account' }));
    });

    await step(owner, 'tab to Sign out everywhere and press Enter', async () => {
      // Found by its role and accessible name, as a screen reader would announce it.
      const button = page.getByRole('button', { name: 'Sign out everywhere' });
      expect(await button.count()).toBe(1);
      await tabTo('Sign out everywhere', button);
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.pathname === '/');
      await visible(page.getByRole('link', { name: 'Sign in' }));
    });

    await expectSentToSignIn(copy);
  });
});
