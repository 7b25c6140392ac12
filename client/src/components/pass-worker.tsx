'use client';

import { useEffect } from 'react';

/*
 * The pass pages' service worker (public/pass-sw.js): it keeps each pass page opened online, and the static
 * files it needs, so the page opens again with no network. Registered only from the pages it serves, each with
 * its own scope, so nothing else on the site goes through it. Production builds only: `next dev` serves
 * unhashed chunks that must never be answered from a cache.
 */

const WORKER_URL = '/pass-sw.js';
const ENABLED = process.env.NODE_ENV === 'production';

/**
 * Registers the pass pages' worker for `scope` (`/mytickets`; the door page may register it for `/door`). `keep`:
 * a page the worker is asked to keep as soon as it runs (the door: on the first visit the page came from the
 * network before any worker, so without this it would reopen offline only after a second visit). The pass pages
 * ask for themselves once their pass is confirmed (pass-view.tsx).
 */
export function PassWorker({ scope, keep }: { scope: '/mytickets' | '/door'; keep?: '/door' }) {
  useEffect(() => {
    if (!ENABLED || !('serviceWorker' in navigator)) return;
    navigator.serviceWorker
      .register(WORKER_URL, { scope })
      .then(() => (keep ? keepPageOffline(keep) : undefined))
      .catch(() => {
        // No worker (refused, or a private window): the pages work online as before.
      });
  }, [scope, keep]);
  return null;
}

type WorkerMessage = { type: 'keep-page' | 'forget-page'; url: string };

async function tellWorker(message: WorkerMessage): Promise<void> {
  if (!ENABLED || !('serviceWorker' in navigator)) return;
  // Called from a page the worker serves: `ready` settles once the worker of this page's scope is active.
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage(message);
}

/**
 * Asks the worker to keep the page at `url` (and its static files) if it has no copy yet: a page reached by a
 * client-side navigation, or opened before the worker was running, was never a document request it could keep.
 */
export function keepPageOffline(url: string): Promise<void> {
  return tellWorker({ type: 'keep-page', url });
}

/** Asks the worker to drop its copy of the page at `url` (a pass that is no longer the visitor's). */
export function forgetPageOffline(url: string): Promise<void> {
  return tellWorker({ type: 'forget-page', url });
}
