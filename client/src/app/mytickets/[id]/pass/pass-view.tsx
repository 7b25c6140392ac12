'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { ErrorAlert, Notice } from '@/components/alert';
import { PassQrCode } from '@/components/pass-qr-code';
import { forgetPageOffline, keepPageOffline } from '@/components/pass-worker';
import { RefreshOnOwnedChanges } from '@/components/refresh-on-owned-changes';
import { formatEventStart } from '@/lib/event-start';
import { forgetStoredPass, keepStoredPass, loadStoredPass } from '@/lib/pass-storage';
import { passApiPath, passCalendarPath, passPagePath, passPdfPath } from '@/lib/passes';
import { newerPassCopy, passCheckFrom, planAfterCheck, type PassCheck, type PassCopy } from '@/lib/stored-pass';

/** What the page shows once it has asked the API (before that, and without JavaScript: what the server rendered). */
type View =
  | { kind: 'rendered' }
  | { kind: 'current'; copy: PassCopy }
  | { kind: 'unchecked'; copy: PassCopy | undefined; reason: 'offline' | 'signed-out' }
  | { kind: 'gone' }
  | { kind: 'stale' };

/** `GET /api/tickets/:id/pass` from the browser: no answer at all is being offline. */
async function checkPass(id: string): Promise<PassCheck> {
  try {
    const response = await fetch(passApiPath(id), { headers: { accept: 'application/json' }, cache: 'no-store' });
    const body: unknown = response.status === 200 ? await response.json() : undefined;
    return passCheckFrom(response.status, body);
  } catch {
    return { kind: 'unreachable' };
  }
}

/** The device's clock, for "as of": the visitor's own time, shown only by the browser. */
function localTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The pass page's content. The server renders the pass (`rendered`; undefined when the API could not be read);
 * then, with JavaScript, the page asks the API itself each time it opens or comes back online, and shows the
 * newest copy it has, that one or the one kept on the device (stored-pass.ts decides):
 * - the same code: it is kept on the device, checked now, and the worker keeps the page;
 * - another code (the pass changed hands and came back, or the HTML was an old copy): the kept one goes, and the
 *   page is rendered again for the new one;
 * - a 404: the pass is not the visitor's any more, and its copy leaves the device;
 * - no answer: "Offline: the code as of <time>", with the newest copy.
 * The caller's `owned` stream asks again as soon as this pass changes hands.
 */
export function PassView({ id, rendered, problem }: { id: string; rendered?: PassCopy; problem?: string[] }) {
  const router = useRouter();
  const [view, setView] = useState<View>({ kind: 'rendered' });
  const [checks, setChecks] = useState(0);
  /** The server generation a new render was last asked for: a render that still shows another code stops there. */
  const replacedFor = useRef<number | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const stored = loadStoredPass(id);
      const shown = newerPassCopy(rendered, stored);
      const check = await checkPass(id);
      if (cancelled) return;
      const plan = planAfterCheck(shown, check, new Date());
      switch (plan.kind) {
        case 'confirmed':
          keepStoredPass(plan.copy);
          void keepPageOffline(passPagePath(id));
          setView({ kind: 'current', copy: plan.copy });
          return;
        case 'replace':
          forgetStoredPass(id);
          if (check.kind === 'current' && replacedFor.current !== check.generation) {
            replacedFor.current = check.generation;
            router.refresh();
          } else {
            setView({ kind: 'stale' });
          }
          return;
        case 'gone':
          forgetStoredPass(id);
          void forgetPageOffline(passPagePath(id));
          setView({ kind: 'gone' });
          return;
        case 'unchecked':
          if (plan.copy && plan.copy !== stored) keepStoredPass(plan.copy);
          setView({ kind: 'unchecked', copy: plan.copy, reason: plan.reason });
          return;
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [id, rendered, checks, router]);

  // Back online: ask again (a code replaced meanwhile must not wait for a reload).
  useEffect(() => {
    const again = () => setChecks((count) => count + 1);
    window.addEventListener('online', again);
    return () => window.removeEventListener('online', again);
  }, []);

  if (view.kind === 'gone') {
    return (
      <section className="panel state-page" aria-labelledby="pass-gone-heading">
        <h1 id="pass-gone-heading">This pass is no longer yours</h1>
        <p className="lead">
          It was transferred or sold to someone else: its code no longer works for you, and it is no longer kept on this
          device.
        </p>
        <Link href="/mytickets" className="button button-primary" prefetch={false}>
          My tickets
        </Link>
      </section>
    );
  }

  const copy = view.kind === 'current' || view.kind === 'unchecked' ? view.copy : rendered;
  return (
    <>
      {copy && (
        <RefreshOnOwnedChanges
          shown={[[copy.ticketId, copy.generation]]}
          onChange={(change) => {
            if (!change || change.ticketId === copy.ticketId) setChecks((count) => count + 1);
          }}
        />
      )}
      {view.kind === 'unchecked' && (
        <Notice tone="warning">
          {copy ? (
            <p data-testid="pass-offline">
              {view.reason === 'offline' ? 'Offline' : 'Signed out'}: the code as of{' '}
              <time dateTime={copy.checkedAt}>{localTime(copy.checkedAt)}</time>.{' '}
              {view.reason === 'offline'
                ? 'It is checked again as soon as this device is back online.'
                : 'Sign in again to check it is still your current code.'}
            </p>
          ) : (
            <p data-testid="pass-offline">
              {view.reason === 'offline'
                ? 'Offline, and this pass is not kept on this device: open it once while online to keep it.'
                : 'You are signed out. Sign in again to see this pass.'}
            </p>
          )}
        </Notice>
      )}
      {view.kind === 'stale' && (
        <Notice tone="warning">
          <p>This pass has a newer code than the one shown. Reload the page to see it.</p>
        </Notice>
      )}
      {copy ? (
        <PassDetails copy={copy} />
      ) : (
        view.kind === 'rendered' && (
          <section className="panel state-page" aria-labelledby="pass-problem-heading">
            <h1 id="pass-problem-heading">Your pass cannot be shown right now</h1>
            <ErrorAlert messages={problem ?? []} />
            <a href={passPagePath(id)} className="button button-primary">
              Try again
            </a>
          </section>
        )
      )}
    </>
  );
}

/** The pass itself: the big QR code, what it admits to and whom, and where else to take it. */
function PassDetails({ copy }: { copy: PassCopy }) {
  return (
    // `data-keep-offline`: this HTML holds the pass, so the worker may keep it (public/pass-sw.js).
    <article className="panel pass-page" data-keep-offline="pass" data-testid="pass" aria-labelledby="pass-title">
      <div className="pass-page-code">
        <PassQrCode qr={copy.qr} label={`Pass code for ${copy.title}`} minimumSize={320} />
      </div>
      <div>
        <h1 id="pass-title">{copy.title}</h1>
        <dl className="facts">
          {copy.startsAt && (
            <>
              <dt>Starts</dt>
              <dd>
                <time dateTime={copy.startsAt}>{formatEventStart(copy.startsAt, copy.timeZone)}</time>
              </dd>
            </>
          )}
          {copy.venue && (
            <>
              <dt>Venue</dt>
              <dd>{copy.venue}</dd>
            </>
          )}
          <dt>Holder</dt>
          <dd data-testid="pass-holder">{copy.holderEmail ?? 'You'}</dd>
          <dt>Code</dt>
          <dd data-testid="pass-generation" data-generation={copy.generation}>
            Generation {copy.generation}
          </dd>
          {copy.admittedAt && (
            <>
              <dt>Admitted</dt>
              <dd>
                <time dateTime={copy.admittedAt}>{formatEventStart(copy.admittedAt, copy.timeZone)}</time>
              </dd>
            </>
          )}
        </dl>
        <p className="hint">
          Show this code at the door. It is the only one that admits this ticket: an older copy, a screenshot of it or a
          code you gave away stops working as soon as the ticket changes hands.
        </p>
        <details className="pass-text">
          <summary>Show the code as text</summary>
          <code data-testid="pass-code">{copy.code}</code>
        </details>
        <div className="button-row">
          <a href={passPdfPath(copy.id)} download className="button button-secondary">
            Download PDF
          </a>
          <a href={passCalendarPath(copy.id)} download className="button button-secondary">
            Add to calendar
          </a>
          <Link href="/mytickets" prefetch={false}>
            My tickets
          </Link>
        </div>
      </div>
    </article>
  );
}
