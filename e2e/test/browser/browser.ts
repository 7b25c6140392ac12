import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { waitFor } from '@ticketing/common/testing';

/** Debian's Chromium: the browser tests never download one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where a failing step leaves its screenshot (git-ignored). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', '..', 'artifacts');

/**
 * Launches headless Chromium with the flags this machine needs (no sandbox as root, no background
 * networking: the network is closed and Chromium would otherwise retry Google's hosts at every start), and any
 * `extraArgs` a test needs.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: sudo apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      // E.g. a fake camera: `--use-fake-device-for-media-stream`, `--use-file-for-fake-video-capture=<file.y4m>`.
      ...extraArgs,
    ],
  });
}

/**
 * One Chromium for a test file: launched before its tests and closed after them. Call it at the top of the file
 * and read `.browser` inside the tests.
 */
export function useChromium(): { readonly browser: Browser } {
  const launched: { browser?: Browser } = {};
  beforeAll(async () => {
    launched.browser = await launchChromium();
  });
  afterAll(async () => {
    await launched.browser?.close();
  });
  return {
    get browser(): Browser {
      if (!launched.browser) throw new Error('useChromium: Chromium is launched in beforeAll; read .browser in a test');
      return launched.browser;
    },
  };
}

/** A person using the site in a browser window of their own (own cookies). */
export interface Visitor {
  name: string;
  page: Page;
  email: string;
}

/**
 * Runs one step of a journey; when it fails, saves a screenshot of the visitor's page named after the
 * step, and says where, so the failure can be seen as the user saw it.
 */
export async function step<T>(visitor: Visitor, name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const file = path.join(ARTIFACTS_DIR, `${visitor.name}-${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await visitor.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`step "${name}" failed for ${visitor.name} (screenshot: ${file}):\n${message}`);
  }
}

/** Waits until the locator is on screen (playwright-core has no assertion library; Jest asserts). */
export function visible(locator: Locator, timeout = 10_000): Promise<void> {
  return locator.first().waitFor({ state: 'visible', timeout });
}

/** Retries `check` (reloading pages, reading attributes) until its Jest assertions pass. */
export function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  return waitFor(check, { timeoutMs, intervalMs: 250 }) as Promise<T>;
}

let visitors = 0;

/** Opens a fresh browser context and signs a new user up through the sign-up page. */
export async function signUpInBrowser(
  browser: Browser,
  baseURL: string,
  name: string,
  /** The browser's own settings, e.g. `timezoneId`: the sell form defaults to the browser's time zone. */
  options: BrowserContextOptions = {},
): Promise<Visitor> {
  const context = await browser.newContext({ ...options, baseURL });
  const page = await context.newPage();
  visitors += 1;
  const visitor: Visitor = { name, page, email: `${name}-${visitors}-${Date.now()}@example.com` };
  await step(visitor, 'sign up', async () => {
    await page.goto('/auth/signup');
    await page.getByLabel('Email').fill(visitor.email);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign up' }).click();
    // Signed in: the header names the user and offers what a signed-in user can do.
    await visible(page.getByText(visitor.email));
    await visible(page.getByRole('link', { name: 'Sell a ticket' }));
  });
  return visitor;
}

/** Lists a ticket through the sell form; resolves to the ticket page's URL path. */
export async function sellTicket(seller: Visitor, title: string, price: string): Promise<string> {
  return step(seller, 'sell a ticket', async () => {
    const { page } = seller;
    await page.getByRole('link', { name: 'Sell a ticket' }).click();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Price').fill(price);
    await page.getByRole('button', { name: 'List ticket' }).click();
    await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    await visible(page.getByRole('heading', { name: title }));
    return new URL(page.url()).pathname;
  });
}

/** From the landing page, opens the ticket's page and purchases it; resolves on the order page. */
export async function buyFromLandingPage(buyer: Visitor, title: string): Promise<void> {
  await step(buyer, 'find the ticket on the landing page', async () => {
    const { page } = buyer;
    // The landing page is shared by the edge for up to a second: a ticket listed just now shows within one.
    await eventually(async () => {
      await page.goto('/');
      expect(await page.getByRole('link', { name: title }).count()).toBe(1);
    });
    await page.getByRole('link', { name: title }).click();
    await visible(page.getByRole('heading', { name: title }));
  });
  await step(buyer, 'purchase', async () => {
    await buyer.page.getByRole('button', { name: 'Purchase' }).click();
    await buyer.page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    // The reservation is running: a live countdown to expiresAt.
    await visible(buyer.page.getByRole('timer'));
  });
}

/** Pays on the order page with one of the local test cards. */
export async function payWith(buyer: Visitor, card: 'Visa (succeeds)' | 'Declined' | 'Insufficient funds') {
  await step(buyer, `pay with ${card}`, async () => {
    await buyer.page.getByLabel(card).check();
    await buyer.page.getByRole('button', { name: /^Pay / }).click();
  });
}
