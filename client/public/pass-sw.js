/*
 * The pass pages' service worker (registered by src/components/pass-worker.tsx, scope /mytickets, and /door if
 * the door page registers it): a pass page opened once opens again with no network.
 *
 * - A pass page (`/mytickets/:id/pass`) or the door page (`/door`): network first, so a new code replaces an
 *   old one whenever the device is online; each 200 is kept (with the static files its HTML names), a 404
 *   removes the kept copy (the pass is no longer the visitor's). With no answer (offline, or none within
 *   NETWORK_WAIT_MS while a copy is kept) the kept copy is served; the page itself then says it is offline and
 *   shows the newest copy it has (src/app/mytickets/[id]/pass/pass-view.tsx).
 * - Any other page in scope (My tickets): the network; offline, a short page listing the passes kept here.
 * - `/_next/static/…` (hashed, immutable): from the cache when a kept page named it or loaded it (the last
 *   LOADED_LIMIT of those), else the network.
 * - Everything else, the API above all (`Cache-Control: no-store`, the visitor's cookie), is not touched.
 *
 * The pages post `{ type: 'keep-page', url }` (keep a pass page reached by a client-side navigation, which was
 * no document request) and `{ type: 'forget-page', url }`.
 */

const VERSION = 'v1';
const CACHE_PREFIX = 'ticketing-pass-';
const PAGES = `${CACHE_PREFIX}pages-${VERSION}`;
const STATIC = `${CACHE_PREFIX}static-${VERSION}`;
/** Static files a kept page loaded on its own (a chunk imported on demand, such as the door's scanner). */
const LOADED = `${CACHE_PREFIX}loaded-${VERSION}`;
/** The most files LOADED holds; the oldest go first (they are hashed: a new build loads new ones). */
const LOADED_LIMIT = 60;
/**
 * The pages kept for offline use. A pass page is kept only when its HTML holds the pass (`data-keep-offline`):
 * not when the service behind it was down and the page said so.
 */
const KEPT_PAGES = [
  { path: /^\/mytickets\/[^/]+\/pass\/?$/, marker: 'data-keep-offline' },
  { path: /^\/door\/?$/, marker: undefined },
];
/** How long a page waits for the network before a kept copy is served (a venue's crowded network). */
const NETWORK_WAIT_MS = 4000;
/** The static files a page's HTML names (scripts, styles, also in the RSC payload's escaped JSON). */
const STATIC_FILE = /\/_next\/static\/[^"'\s\\<>()]+/g;

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && ![PAGES, STATIC, LOADED].includes(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/_next/static/')) {
    event.respondWith(staticFile(event));
    return;
  }
  if (request.mode !== 'navigate') return;
  if (isKeptPage(url)) {
    event.respondWith(keptPage(event, request));
    return;
  }
  if (url.pathname.startsWith('/api/')) return;
  event.respondWith(
    fetch(request).catch(async () => offlineList(await keptPageList(), 'This page needs a network connection.')),
  );
});

self.addEventListener('message', (event) => {
  const message = event.data;
  if (typeof message !== 'object' || message === null || typeof message.url !== 'string') return;
  const url = new URL(message.url, self.location.origin);
  if (url.origin !== self.location.origin || !isKeptPage(url)) return;
  const key = pageKey(url);
  if (message.type === 'keep-page') {
    event.waitUntil(
      (async () => {
        const pages = await caches.open(PAGES);
        if (await pages.match(key)) return;
        const response = await fetch(key, { credentials: 'same-origin' }).catch(() => undefined);
        if (response) await keepOrForget(key, response).catch(() => undefined);
      })(),
    );
  } else if (message.type === 'forget-page') {
    event.waitUntil(forgetPage(key));
  }
});

function keptPageRule(url) {
  return KEPT_PAGES.find((page) => page.path.test(url.pathname));
}

function isKeptPage(url) {
  return keptPageRule(url) !== undefined;
}

/** A page is kept by its path: its query and hash do not change what it shows. */
function pageKey(url) {
  return new URL(url.pathname, self.location.origin).href;
}

function keptPage(event, request) {
  const key = pageKey(new URL(request.url));
  // Kept (or forgotten) from the network's answer even when the kept copy was served first: the clone is taken
  // before the page reads the body, and the worker stays alive until it is stored.
  let storing = Promise.resolve();
  const network = fetch(request).then(
    (response) => {
      storing = keepOrForget(key, response.clone()).catch(() => undefined);
      return response;
    },
    () => undefined,
  );
  event.waitUntil(network.then(() => storing));
  return answerKeptPage(key, network);
}

async function answerKeptPage(key, network) {
  const kept = await (await caches.open(PAGES)).match(key);
  if (!kept) return (await network) ?? offlineList(await keptPageList(), 'This pass was not kept on this device.');
  let timer;
  const waited = new Promise((resolve) => {
    timer = setTimeout(() => resolve(undefined), NETWORK_WAIT_MS);
  });
  const answer = await Promise.race([network, waited]);
  clearTimeout(timer);
  return answer ?? kept;
}

/** Keeps a page's 200 (an HTML document, not a redirect to sign in) with its static files; forgets it on a 404. */
async function keepOrForget(key, response) {
  if (response.status === 404 || response.status === 410) {
    await forgetPage(key);
    return;
  }
  const type = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || response.redirected || !type.startsWith('text/html')) return;
  const html = await response.clone().text();
  const marker = keptPageRule(new URL(key))?.marker;
  if (marker && !html.includes(marker)) return;
  const files = [...new Set(html.match(STATIC_FILE) ?? [])];
  const statics = await caches.open(STATIC);
  await Promise.all(
    files.map(async (file) => {
      if (await statics.match(file)) return;
      const asset = await fetch(file).catch(() => undefined);
      if (asset?.ok) await statics.put(file, asset);
    }),
  );
  await (await caches.open(PAGES)).put(key, response);
  await dropUnusedStaticFiles();
}

async function forgetPage(key) {
  await (await caches.open(PAGES)).delete(key);
  await dropUnusedStaticFiles();
}

/** The static files no kept page names any more (an older build's, a forgotten page's). */
async function dropUnusedStaticFiles() {
  const pages = await caches.open(PAGES);
  const used = new Set();
  for (const request of await pages.keys()) {
    const page = await pages.match(request);
    const html = page ? await page.text() : '';
    for (const file of html.match(STATIC_FILE) ?? []) used.add(new URL(file, self.location.origin).href);
  }
  const statics = await caches.open(STATIC);
  for (const request of await statics.keys()) {
    if (!used.has(request.url)) await statics.delete(request);
  }
}

async function staticFile(event) {
  const request = event.request;
  const kept = (await (await caches.open(STATIC)).match(request)) ?? (await (await caches.open(LOADED)).match(request));
  if (kept) return kept;
  const response = await fetch(request);
  const client = event.clientId ? await self.clients.get(event.clientId) : undefined;
  if (response.ok && client && isKeptPage(new URL(client.url))) {
    event.waitUntil(keepLoadedFile(request, response.clone()).catch(() => undefined));
  }
  return response;
}

async function keepLoadedFile(request, response) {
  const loaded = await caches.open(LOADED);
  await loaded.put(request, response);
  const keys = await loaded.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - LOADED_LIMIT))) await loaded.delete(old);
}

/** The kept pass pages, with their documents' titles ("Pass: Jazz night · Ticketing"). */
async function keptPageList() {
  const pages = await caches.open(PAGES);
  const list = [];
  for (const request of await pages.keys()) {
    const page = await pages.match(request);
    const html = page ? await page.text() : '';
    const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? new URL(request.url).pathname;
    list.push({ path: new URL(request.url).pathname, title });
  }
  return list;
}

/** A small page for a navigation with no network and no kept copy: where to go instead. */
function offlineList(pages, sentence) {
  const items = pages
    .map(({ path, title }) => `<li><a href="${escapeHtml(path)}">${title.replace(/[<>]/g, '')}</a></li>`)
    .join('');
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · Ticketing</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:36rem;padding:0 1.25rem;color:#111827}
a{color:#3730a3}</style></head><body><main><h1>You are offline</h1><p>${sentence}</p>${
    items
      ? `<h2>Passes kept on this device</h2><ul>${items}</ul>`
      : '<p>Open a pass once while online to keep it on this device.</p>'
  }</main></body></html>`;
  return new Response(body, {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
