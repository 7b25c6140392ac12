import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { Pass } from '@ticketing/common/api';
import {
  buyTicket,
  expectStatus,
  pay,
  sellTicket as listThroughApi,
  useTestStack,
  type ApiClient,
  type Ticket,
} from '../helpers';
import {
  buyFromLandingPage,
  eventually,
  launchChromium,
  payWith,
  sellTicket,
  signUpInBrowser,
  step,
  useChromium,
  visible,
  type Visitor,
} from './browser';

const context = useTestStack({ services: ['auth', 'tickets', 'orders', 'payments', 'expiration', 'client'] });
const chromium = useChromium();

/** A call of the API with the visitor's session (the page's request context shares the browser's cookies). */
async function callAs<T>(visitor: Visitor, method: 'GET' | 'POST', path: string, data?: unknown) {
  const response = await visitor.page.request.fetch(path, { method, data });
  const text = await response.text();
  return { status: response.status(), body: (text ? JSON.parse(text) : undefined) as T, text };
}

/** Lists a ticket through the API with the visitor's session (the sell form is journeys.test.ts's business). */
async function listAs(seller: Visitor, title: string, price = 30): Promise<Ticket> {
  const reply = await callAs<Ticket>(seller, 'POST', '/api/tickets', { title, price });
  if (reply.status !== 201) throw new Error(`POST /api/tickets answered ${reply.status}: ${reply.text}`);
  return reply.body;
}

/** Sends a POST again while it answers 404 (a service has not heard of the ticket or order yet); expects a 201. */
async function postUntilKnown<T>(visitor: Visitor, path: string, data: unknown): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await callAs<T>(visitor, 'POST', path, data);
    if (reply.status === 201) return reply.body;
    if (reply.status !== 404 || Date.now() > deadline) {
      throw new Error(`POST ${path} ${JSON.stringify(data)} answered ${reply.status}: ${reply.text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Buys and pays for a ticket through the API with the visitor's session (once orders, then payments, know of it);
 * resolves once tickets has issued the buyer's pass.
 */
async function buyAs(buyer: Visitor, ticketId: string): Promise<Pass> {
  const order = await postUntilKnown<{ id: string }>(buyer, '/api/orders', { ticketId });
  await postUntilKnown(buyer, '/api/payments', { orderId: order.id, paymentMethodId: 'pm_card_visa' });
  return passOf(buyer, ticketId);
}

/** The visitor's current pass for a ticket (root or held listing id), once tickets has issued it. */
function passOf(holder: Visitor, ticketId: string, generation = 1): Promise<Pass> {
  return eventually(async () => {
    const reply = await callAs<Pass>(holder, 'GET', `/api/tickets/${ticketId}/pass`);
    expect(reply.status).toBe(200);
    expect(reply.body.generation).toBeGreaterThanOrEqual(generation);
    return reply.body;
  }, 15_000);
}

/** The same, for a user who only acts through the API (no browser). */
function passOfClient(holder: ApiClient, ticketId: string): Promise<Pass> {
  return eventually(
    async () => expectStatus(await holder.get<Pass>(`/api/tickets/${ticketId}/pass`), 200).body,
    15_000,
  );
}

/** Buys and pays as an API-only user; resolves to the pass tickets issued them. */
async function buyAsClient(buyer: ApiClient, ticket: Ticket): Promise<Pass> {
  const order = await buyTicket(buyer, ticket);
  expectStatus(await pay(buyer, order), 201);
  return passOfClient(buyer, ticket.id);
}

/** Opens the door page and waits until it has downloaded its lists (the key, the tickets, the revocations). */
async function openDoor(page: Page): Promise<void> {
  await page.goto('/door');
  await eventually(async () => {
    expect(await page.getByTestId('door-freshness').textContent()).toMatch(/^Revocation list updated/);
  }, 15_000);
}

/** What the door showed for one scan: its kind (`data-kind`) and its words. */
interface DoorAnswer {
  kind: string | null;
  text: string;
}

/**
 * Types a code into the door's "Pass code" field and presses Check pass; resolves to the door's answer once a new
 * scan is listed under Recent scans (the verdict and the list change in one render).
 */
async function checkAtDoor(page: Page, code: string): Promise<DoorAnswer> {
  const recent = page.locator('[data-testid="door-recent"] > li');
  const before = await recent.count();
  await page.getByLabel('Pass code').fill(code);
  await page.getByRole('button', { name: 'Check pass' }).click();
  await eventually(async () => expect(await recent.count()).toBe(before + 1), 15_000);
  const verdict = page.getByTestId('door-verdict');
  return { kind: await verdict.getAttribute('data-kind'), text: (await verdict.textContent()) ?? '' };
}

/** Marks the document: a reload or a navigation would lose the mark, a live update keeps it. */
const markDocument = (page: Page) => page.evaluate(() => Object.assign(globalThis, { liveMark: 'still this page' }));
const stillTheSameDocument = (page: Page) => page.evaluate(() => (globalThis as { liveMark?: string }).liveMark);

/** Resolves once the page has its stream of the visitor's passes open (its answer's headers have arrived). */
const ownedStreamOpened = (page: Page) =>
  page.waitForResponse(
    (response) => new URL(response.url()).pathname === '/api/tickets/owned/stream' && response.status() === 200,
  );

/** Opens My tickets and resolves once its live stream of passes is open. */
async function openMyTicketsLive(page: Page): Promise<void> {
  const stream = ownedStreamOpened(page);
  await page.goto('/mytickets');
  await visible(page.getByRole('heading', { name: 'My tickets' }));
  await stream;
  await markDocument(page);
}

/** What the tests read of a page's globals (this project's TypeScript has no DOM library). */
interface BrowserGlobals {
  localStorage: { getItem(key: string): string | null };
  caches: { match(url: string): Promise<unknown> };
  location: { origin: string };
}

/** Whether the service worker (public/pass-sw.js) keeps a copy of the page at `path` for a visit offline. */
function keptByTheWorker(page: Page, path: string): Promise<boolean> {
  return page.evaluate(async (path) => {
    const { caches, location } = globalThis as unknown as BrowserGlobals;
    return (await caches.match(new URL(path, location.origin).href)) !== undefined;
  }, path);
}

/** What the device keeps of a pass: the page's copy (localStorage) and the worker's copy of the pass page. */
async function keptOnDevice(page: Page, id: string): Promise<{ copy: boolean; page: boolean }> {
  const copy = await page.evaluate(
    (id) => (globalThis as unknown as BrowserGlobals).localStorage.getItem(`ticketing.pass.${id}`) !== null,
    id,
  );
  return { copy, page: await keptByTheWorker(page, `/mytickets/${id}/pass`) };
}

/**
 * A camera's picture of a QR code as the page drew it (an `<svg viewBox="0 0 side side">` of one path, a
 * `M x y h n v1 h -n z` per run of dark modules: src/lib/qr-svg.ts), for Chromium's fake camera: one frame of
 * YUV4MPEG2 (4:2:0), 640×480, black on white, 8 pixels a module, which Chromium shows in a loop.
 */
async function cameraPictureOf(qr: ReturnType<Page['getByRole']>): Promise<string> {
  const side = Number((await qr.getAttribute('viewBox'))?.split(' ')[2]);
  const drawing = (await qr.locator('path').getAttribute('d')) ?? '';
  const [width, height, scale] = [640, 480, 8];
  const luma = Buffer.alloc(width * height, 235);
  const left = Math.floor((width - side * scale) / 2);
  const top = Math.floor((height - side * scale) / 2);
  for (const [, x, y, run] of drawing.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let row = 0; row < scale; row++) {
      const start = (top + Number(y) * scale + row) * width + left + Number(x) * scale;
      luma.fill(16, start, start + Number(run) * scale);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pass-camera-')), 'pass.y4m');
  const header = `YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\nFRAME\n`;
  fs.writeFileSync(file, Buffer.concat([Buffer.from(header, 'ascii'), luma, chroma]));
  return file;
}

/** Another browser window signed in as the same user (a second door at another entrance). */
async function sameUserElsewhere(visitor: Visitor): Promise<{ context: BrowserContext; page: Page }> {
  const storageState = await visitor.page.context().storageState();
  const elsewhere = await chromium.browser.newContext({ baseURL: context.stack.url, storageState });
  return { context: elsewhere, page: await elsewhere.newPage() };
}

describe('passes at the door, in a browser', () => {
  it('when B buys A’s ticket, then My tickets shows its QR code, A’s door admits the code once and then says when it was admitted', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'issuer-door');
    const title = `Door night ${Date.now()}`;
    await sellTicket(seller, title, '25');

    const holder = await signUpInBrowser(chromium.browser, context.stack.url, 'holder-door');
    await buyFromLandingPage(holder, title);
    await payWith(holder, 'Visa (succeeds)');
    await visible(holder.page.getByTestId('receipt'), 30_000);

    const code = await step(holder, 'see the pass on My tickets and read its code on the pass page', async () => {
      const owned = holder.page.getByTestId('owned-ticket').filter({ hasText: title });
      // Tickets issues the pass when it hears of the completed order: My tickets lists it from then on.
      await eventually(async () => {
        await holder.page.goto('/mytickets');
        await visible(owned, 2_000);
      }, 15_000);
      await visible(owned.getByRole('img', { name: `Pass code for ${title}` }));
      expect(await owned.getByTestId('pass-generation').getAttribute('data-generation')).toBe('1');
      await owned.getByRole('link', { name: 'Open the pass' }).click();
      await holder.page.waitForURL(/\/mytickets\/[0-9a-f-]{36}\/pass$/);
      await visible(holder.page.getByRole('img', { name: `Pass code for ${title}` }));
      await holder.page.getByText('Show the code as text').click();
      await visible(holder.page.getByTestId('pass-code'));
      const shown = ((await holder.page.getByTestId('pass-code').textContent()) ?? '').trim();
      expect(shown).toMatch(/^[A-Z2-7]{136}$/);
      expect(await holder.page.getByTestId('pass-holder').textContent()).toBe(holder.email);
      return shown;
    });

    await step(seller, 'type the code at the door: admitted', async () => {
      await openDoor(seller.page);
      const answer = await checkAtDoor(seller.page, code);
      expect(answer.kind).toBe('admitted');
      // The headline first, big: "Admitted", then the title, the holder and the time.
      expect(answer.text).toMatch(/^Admitted/);
      expect(answer.text).toContain(title);
      expect(answer.text).toContain(holder.email);
    });

    await step(seller, 'type it again: already admitted, with the time', async () => {
      const answer = await checkAtDoor(seller.page, code);
      expect(answer.kind).toBe('already-admitted');
      expect(answer.text).toMatch(/Already admitted at \d{1,2}:\d{2}/);
    });

    await step(holder, 'see the ticket admitted on My tickets, with no transfer or resale offered', async () => {
      await holder.page.goto('/mytickets');
      const owned = holder.page.getByTestId('owned-ticket').filter({ hasText: title });
      await visible(owned.getByTestId('pass-admitted'));
      expect(await owned.getByRole('form', { name: `Transfer ${title}` }).count()).toBe(0);
      expect(await owned.getByRole('form', { name: `Sell ${title} again` }).count()).toBe(0);
    });
  });

  it('when B sells the ticket again from My tickets and C buys it, then A’s door refuses B’s code while it is listed, then says it is void (resold), and admits C’s', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'issuer-resale');
    const title = `Resold at the door ${Date.now()}`;
    const ticket = await listAs(seller, title, 40);

    const first = await signUpInBrowser(chromium.browser, context.stack.url, 'first-holder');
    const oldPass = await buyAs(first, ticket.id);

    await step(first, 'sell it again from My tickets', async () => {
      await first.page.goto('/mytickets');
      const form = first.page.getByRole('form', { name: `Sell ${title} again` });
      await form.getByLabel('Price').fill('35');
      await form.getByRole('button', { name: 'Sell again' }).click();
      await visible(first.page.getByRole('link', { name: 'Listed again at $35.00' }));
    });

    await step(seller, 'the holder’s code while it is listed again: not admitted', async () => {
      await openDoor(seller.page);
      const answer = await checkAtDoor(seller.page, oldPass.code);
      expect(answer.kind).toBe('listed-for-resale');
      expect(answer.text).toContain('Listed for resale: not admitted');
    });

    const second = await signUpInBrowser(chromium.browser, context.stack.url, 'second-holder');
    await buyFromLandingPage(second, title);
    await payWith(second, 'Visa (succeeds)');
    await visible(second.page.getByTestId('receipt'), 30_000);
    const newPass = await step(second, 'hold the pass, one generation up', async () => {
      const pass = await passOf(second, ticket.id, 2);
      expect(pass.generation).toBe(2);
      expect(pass.code).not.toBe(oldPass.code);
      return pass;
    });
    await step(first, 'no longer see it on My tickets', async () => {
      await first.page.goto('/mytickets');
      await visible(first.page.getByRole('heading', { name: 'You hold no tickets' }));
    });

    await step(seller, 'the old code at the door: void, resold', async () => {
      const answer = await checkAtDoor(seller.page, oldPass.code);
      expect(answer.kind).toBe('void');
      expect(answer.text).toContain('Void: resold');
    });

    await step(seller, 'the new holder’s code: admitted, once', async () => {
      const answer = await checkAtDoor(seller.page, newPass.code);
      expect(answer.kind).toBe('admitted');
      expect(answer.text).toContain(second.email);
      expect((await checkAtDoor(seller.page, newPass.code)).kind).toBe('already-admitted');
    });
  });

  it('when B transfers the ticket to C from My tickets, then C’s My tickets shows it and B’s drops it without a reload, B’s open pass page says it is gone (and leaves the device), and B’s old code is void at the door', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'issuer-transfer');
    const title = `Given away ${Date.now()}`;
    const ticket = await listAs(seller, title);

    const giver = await signUpInBrowser(chromium.browser, context.stack.url, 'giver');
    const oldPass = await buyAs(giver, ticket.id);
    const recipient = await signUpInBrowser(chromium.browser, context.stack.url, 'recipient');

    await step(recipient, 'open My tickets, holding nothing yet', async () => {
      await openMyTicketsLive(recipient.page);
      await visible(recipient.page.getByRole('heading', { name: 'You hold no tickets' }));
    });
    // The giver's other window: it must lose the ticket by itself (the transferring window navigates).
    const giverElsewhere = await giver.page.context().newPage();
    await step(giver, 'open My tickets in a second window', async () => {
      await openMyTicketsLive(giverElsewhere);
      await visible(giverElsewhere.getByTestId('owned-ticket').filter({ hasText: title }));
    });
    const giverPass = await giver.page.context().newPage();
    await step(giver, 'open the pass in a third window: the device keeps it', async () => {
      const stream = ownedStreamOpened(giverPass);
      await giverPass.goto(`/mytickets/${ticket.id}/pass`);
      await visible(giverPass.getByTestId('pass'));
      await stream;
      await eventually(async () =>
        expect(await keptOnDevice(giverPass, ticket.id)).toEqual({ copy: true, page: true }),
      );
    });

    await step(giver, 'transfer it in two steps: the email, then the confirmation', async () => {
      await giver.page.goto('/mytickets');
      const owned = giver.page.getByTestId('owned-ticket').filter({ hasText: title });
      await owned.locator('summary', { hasText: 'Transfer' }).click();
      const form = owned.getByRole('form', { name: `Transfer ${title}` });
      // An email no account uses: confirmed, then refused under the field, with the ticket kept.
      await form.getByLabel("Recipient's email").fill(`nobody-${Date.now()}@example.com`);
      await form.getByRole('button', { name: 'Transfer…' }).click();
      await form.getByRole('button', { name: 'Transfer now' }).click();
      await visible(form.getByRole('alert').filter({ hasText: 'No account uses this email' }));
      expect(await giver.page.getByTestId('owned-ticket').filter({ hasText: title }).count()).toBe(1);
      await form.getByLabel("Recipient's email").fill(recipient.email);
      await form.getByRole('button', { name: 'Transfer…' }).click();
      const question = form.getByTestId('transfer-confirmation');
      await visible(question);
      expect(await question.textContent()).toContain(recipient.email);
      await form.getByRole('button', { name: 'Transfer now' }).click();
      await visible(giver.page.getByText('Ticket transferred.', { exact: false }));
      expect(await giver.page.getByTestId('owned-ticket').filter({ hasText: title }).count()).toBe(0);
    });

    await step(recipient, 'see the ticket arrive on the open page, with its QR code', async () => {
      const owned = recipient.page.getByTestId('owned-ticket').filter({ hasText: title });
      await visible(owned, 10_000);
      await visible(owned.getByRole('img', { name: `Pass code for ${title}` }));
      expect(await owned.getByTestId('pass-generation').getAttribute('data-generation')).toBe('2');
      expect(await stillTheSameDocument(recipient.page)).toBe('still this page');
    });

    await step(giver, 'see the ticket leave the other open window', async () => {
      await eventually(async () => {
        expect(await giverElsewhere.getByTestId('owned-ticket').filter({ hasText: title }).count()).toBe(0);
      }, 10_000);
      expect(await stillTheSameDocument(giverElsewhere)).toBe('still this page');
    });

    await step(
      giver,
      'see the open pass page say it is no longer theirs, and its copies leave the device',
      async () => {
        await visible(giverPass.getByRole('heading', { name: 'This pass is no longer yours' }), 10_000);
        expect(await giverPass.getByTestId('pass-code').count()).toBe(0);
        await eventually(async () =>
          expect(await keptOnDevice(giverPass, ticket.id)).toEqual({ copy: false, page: false }),
        );
      },
    );

    await step(seller, 'the giver’s old code at the door: void, transferred; the recipient’s admits', async () => {
      await openDoor(seller.page);
      const answer = await checkAtDoor(seller.page, oldPass.code);
      expect(answer.kind).toBe('void');
      expect(answer.text).toContain('Void: transferred');
      const newPass = await passOf(recipient, ticket.id, 2);
      expect((await checkAtDoor(seller.page, newPass.code)).kind).toBe('admitted');
    });
  });

  it('when the door loses the network, then it admits a valid code offline, refuses a code transferred before, and on reconnecting uploads its queue and lists the one another door admitted meanwhile', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'issuer-offline');
    const stamp = Date.now();
    const [kept, given, contested] = await Promise.all(
      ['Offline kept', 'Offline given', 'Offline contested'].map((name) => listAs(seller, `${name} ${stamp}`)),
    );
    // The holders act through the API only: this journey is the door's.
    const holder = await context.stack.signUp('holder');
    const recipient = await context.stack.signUp('recipient');
    const [keptPass, givenPass, contestedPass] = await Promise.all(
      [kept!, given!, contested!].map((ticket) => buyAsClient(holder, ticket)),
    );
    // Transferred before the door goes offline: its download holds the old code as void.
    expectStatus(await holder.post(`/api/tickets/${given!.id}/transfer`, { email: recipient.email }), 200);

    await step(seller, 'open the door online and let it download its lists', async () => {
      await openDoor(seller.page);
      expect(await seller.page.getByTestId('door-queue').textContent()).toBe('No scans waiting to upload');
      // The worker keeps the page from the first visit, so it reopens with no network.
      await eventually(async () => expect(await keptByTheWorker(seller.page, '/door')).toBe(true), 10_000);
    });

    const door = seller.page;
    await door.context().setOffline(true);

    await step(seller, 'offline: a valid code is admitted offline and queued', async () => {
      await eventually(async () =>
        expect(await door.getByTestId('door-freshness').textContent()).toMatch(/^Offline since/),
      );
      const answer = await checkAtDoor(door, keptPass!.code);
      expect(answer.kind).toBe('admitted-offline');
      expect(answer.text).toContain('checked by this door offline');
      expect(await door.getByTestId('door-queue').textContent()).toBe('1 scan queued for upload');
    });

    await step(seller, 'offline: the code transferred away is void', async () => {
      const answer = await checkAtDoor(door, givenPass!.code);
      expect(answer.kind).toBe('void');
      expect(answer.text).toContain('Void: transferred');
      expect(await door.getByTestId('door-queue').textContent()).toBe('1 scan queued for upload');
    });

    await step(
      seller,
      'offline: another code admitted offline, which another door admits online meanwhile',
      async () => {
        expect((await checkAtDoor(door, contestedPass!.code)).kind).toBe('admitted-offline');
        expect(await door.getByTestId('door-queue').textContent()).toBe('2 scans queued for upload');
        const other = await sameUserElsewhere(seller);
        try {
          await openDoor(other.page);
          expect((await checkAtDoor(other.page, contestedPass!.code)).kind).toBe('admitted');
        } finally {
          await other.context.close();
        }
      },
    );

    await step(
      seller,
      'reload the door with no network: the worker serves it, and the queue is still there',
      async () => {
        const response = await door.reload();
        expect(response?.fromServiceWorker()).toBe(true);
        await eventually(async () => {
          expect(await door.getByTestId('door-queue').textContent()).toBe('2 scans queued for upload');
        }, 10_000);
        expect(await door.getByTestId('door-freshness').textContent()).toMatch(/^Offline since .*; list from /);
      },
    );

    await door.context().setOffline(false);

    await step(seller, 'back online: the queue uploads and the conflict is listed', async () => {
      // The page hears the browser's `online` event, downloads its lists again and uploads in scan order.
      await eventually(async () => {
        expect(await door.getByTestId('door-queue').textContent()).toBe('No scans waiting to upload');
      }, 20_000);
      const conflicts = door.getByTestId('door-conflicts');
      await visible(conflicts);
      const listed = conflicts.getByRole('listitem');
      expect(await listed.count()).toBe(1);
      expect(await listed.textContent()).toContain(`Offline contested ${stamp}`);
      expect(await listed.textContent()).toMatch(/admitted at \d{1,2}:\d{2} by another door/);
      expect(await door.getByTestId('door-freshness').textContent()).toMatch(/^Revocation list updated/);
    });

    await step(seller, 'the service holds the offline admission of the valid code', async () => {
      const reply = await callAs<{ checkins: { ticketId: string }[] }>(
        seller,
        'GET',
        `/api/checkins?ticketId=${kept!.id}`,
      );
      expect(reply.status).toBe(200);
      expect(reply.body.checkins.map((checkin) => checkin.ticketId)).toEqual([kept!.id]);
    });
  });

  it('when the holder shows the QR code of My tickets to the door’s camera, then the door reads it and admits it', async () => {
    const seller = await signUpInBrowser(chromium.browser, context.stack.url, 'issuer-camera');
    const title = `Camera night ${Date.now()}`;
    const ticket = await listAs(seller, title);
    const holder = await signUpInBrowser(chromium.browser, context.stack.url, 'holder-camera');
    await buyAs(holder, ticket.id);

    const picture = await step(holder, 'show the QR code of My tickets', async () => {
      await holder.page.goto('/mytickets');
      return cameraPictureOf(holder.page.getByRole('img', { name: `Pass code for ${title}` }));
    });

    // A Chromium whose camera films the holder's screen: what the camera sees is the QR code the page drew.
    const filming = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${picture}`,
    ]);
    try {
      const storageState = await seller.page.context().storageState();
      const doorContext = await filming.newContext({
        baseURL: context.stack.url,
        storageState,
        permissions: ['camera'],
      });
      const door: Visitor = { ...seller, page: await doorContext.newPage() };
      await step(door, 'start the camera at the door: the code is read and admitted', async () => {
        await openDoor(door.page);
        await door.page.getByRole('button', { name: 'Start camera' }).click();
        await eventually(async () => {
          expect(await door.page.getByTestId('door-verdict').getAttribute('data-kind')).toBe('admitted');
        }, 20_000);
        expect(await door.page.getByTestId('door-verdict').textContent()).toContain(holder.email);
      });
    } finally {
      await filming.close();
      fs.rmSync(path.dirname(picture), { recursive: true, force: true });
    }
  });

  it('when the holder opened the pass page online, then with no network a reload still shows the code and says it is offline', async () => {
    const seller = await context.stack.signUp('issuer');
    const title = `Pass in a tunnel ${Date.now()}`;
    const ticket = await listThroughApi(seller, 30, title);
    const holder = await signUpInBrowser(chromium.browser, context.stack.url, 'holder-offline');
    const pass = await buyAs(holder, ticket.id);
    const page = holder.page;
    const passPath = `/mytickets/${ticket.id}/pass`;

    await step(holder, 'open the pass online; the device keeps it', async () => {
      await page.goto(passPath);
      await visible(page.getByTestId('pass'));
      // The page keeps its copy, and the service worker keeps the page (pass-view.tsx, public/pass-sw.js).
      await eventually(async () => {
        expect(await keptOnDevice(page, ticket.id)).toEqual({ copy: true, page: true });
      }, 15_000);
    });

    await page.context().setOffline(true);
    await step(holder, 'reload with no network: the pass and its code, marked offline', async () => {
      // The worker has no network either (Playwright emulates it offline too): what it serves is its kept copy.
      const worker = page
        .context()
        .serviceWorkers()
        .find((candidate) => new URL(candidate.url()).pathname === '/pass-sw.js');
      expect(
        await worker?.evaluate(() =>
          fetch('/healthz').then(
            () => 'reached',
            () => 'unreachable',
          ),
        ),
      ).toBe('unreachable');
      const response = await page.reload();
      expect(response?.fromServiceWorker()).toBe(true);
      await visible(page.getByTestId('pass-offline'));
      expect(await page.getByTestId('pass-offline').textContent()).toMatch(/^Offline: the code as of/);
      expect(((await page.getByTestId('pass-code').textContent()) ?? '').trim()).toBe(pass.code);
      await visible(page.getByRole('img', { name: `Pass code for ${title}` }));
    });
    await page.context().setOffline(false);
  });
});
