'use client';

import { useRef, useState, type FormEvent } from 'react';
import { describeConflict } from '@/lib/door/sync';
import { describeFreshness, describeQueue } from '@/lib/door/freshness';
import { formatDoorTime } from '@/lib/door/clock';
import { describeVerdict } from '@/lib/door/verdict';
import { CameraScanner } from './camera-scanner';
import { useDoor, type ScanRecord } from './use-door';
import { VerdictIcon } from './verdict-panel';

const SIGN_IN_HREF = '/auth/signin?next=%2Fdoor';

/** Seconds too: two scans of one pass a minute apart must read as two answers, also to a screen reader. */
function scanTime(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
}

/**
 * The door: the answer to the last scan, big, on top; the code field (typed or pasted, for a broken camera) and
 * the camera under it; then what the door must look into (conflicts) and the last scans. The status line (online
 * or not, how fresh the lists are, what waits to upload) is always on screen.
 */
export function DoorScanner({ userId }: { userId: string }) {
  const door = useDoor(userId);
  const inputRef = useRef<HTMLInputElement>(null);
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!code.trim()) {
      setFieldError('Type or paste a pass code.');
      inputRef.current?.focus();
      return;
    }
    setFieldError(null);
    if (await door.scan(code)) setCode('');
    inputRef.current?.focus();
  };

  const scanFromCamera = async (text: string) => {
    const taken = await door.scan(text);
    // Back to the code field, as after a typed scan; not on a touch screen, where focusing it would open the
    // keyboard over the camera's picture and the answer.
    if (taken && window.matchMedia?.('(pointer: fine)').matches) inputRef.current?.focus();
    return taken;
  };

  const freshness = describeFreshness({
    refreshedAt: door.refreshedAt,
    offlineSince: door.offlineSince,
    now: door.now,
  });
  const latest = door.latest;
  const latestText = latest ? describeVerdict(latest.verdict, door.now) : null;

  return (
    <div className="door">
      <section className="door-status" aria-label="Door status" data-testid="door-status">
        <p className={door.offlineSince ? 'door-connection door-connection-offline' : 'door-connection'}>
          <span aria-hidden="true">{door.offlineSince ? '▲' : '●'}</span> {door.offlineSince ? 'Offline' : 'Online'}
        </p>
        <p className={freshness.stale ? 'door-freshness door-stale' : 'door-freshness'} data-testid="door-freshness">
          {freshness.text}
        </p>
        <p className="door-queue" data-testid="door-queue">
          {describeQueue(door.queue.length)}
          {door.syncing && ' (uploading…)'}
        </p>
        {door.queue.length > 0 && !door.syncing && (
          <button type="button" className="button button-secondary door-upload" onClick={door.syncNow}>
            Upload now
          </button>
        )}
      </section>

      {door.signInNeeded && (
        <div className="alert alert-error door-sign-in" role="alert">
          <p>
            Your session has ended. <a href={SIGN_IN_HREF}>Sign in again</a> to check passes online
            {door.queue.length > 0
              ? ` and upload the ${door.queue.length} queued scans (they stay on this device)`
              : ''}
            .
          </p>
        </div>
      )}

      <div
        className={`door-verdict door-verdict-${latestText?.tone ?? 'ready'}`}
        aria-live="assertive"
        aria-atomic="true"
        data-testid="door-verdict"
        data-kind={latest?.verdict.kind ?? 'ready'}
      >
        <VerdictIcon tone={latestText?.tone ?? 'ready'} />
        <div>
          {latest && latestText ? (
            <>
              <p className="door-verdict-headline">{latestText.headline}</p>
              {latestText.details.map((detail, index) => (
                <p key={`${index}:${detail}`} className="door-verdict-detail">
                  {detail}
                </p>
              ))}
              <p className="door-verdict-time">
                Scan at {scanTime(latest.scannedAt)}
                {latest.offline ? ', checked by this door offline' : ''}
              </p>
            </>
          ) : (
            <p className="door-verdict-headline">Ready to scan</p>
          )}
        </div>
      </div>

      <div className="door-inputs">
        <section className="panel" aria-labelledby="code-heading">
          <h2 id="code-heading">Type a code</h2>
          {/* No name on the field: a form sent before the page has hydrated must not put a pass code in a URL. */}
          <form className="form" onSubmit={(event) => void submit(event)} noValidate>
            <div className="field">
              <label htmlFor="pass-code">Pass code</label>
              <p id="pass-code-hint" className="hint">
                The letters and digits under the pass’s QR code. Enter checks it.
              </p>
              <input
                ref={inputRef}
                id="pass-code"
                className="input door-code-input"
                value={code}
                onChange={(event) => setCode(event.target.value)}
                autoComplete="off"
                autoCapitalize="characters"
                autoCorrect="off"
                spellCheck={false}
                autoFocus
                aria-invalid={fieldError ? true : undefined}
                aria-describedby={fieldError ? 'pass-code-hint pass-code-error' : 'pass-code-hint'}
              />
              {fieldError && (
                <p id="pass-code-error" className="field-error" role="alert">
                  {fieldError}
                </p>
              )}
            </div>
            <div className="button-row">
              <button type="submit" className="button button-primary" aria-disabled={door.busy || undefined}>
                {door.busy ? 'Checking…' : 'Check pass'}
              </button>
            </div>
          </form>
        </section>
        <CameraScanner onCode={scanFromCamera} />
      </div>

      {door.conflicts.length > 0 && (
        <section className="panel door-conflicts" aria-labelledby="conflicts-heading" data-testid="door-conflicts">
          <h2 id="conflicts-heading">
            <VerdictIcon tone="refuse" size={22} /> Look into these admissions ({door.conflicts.length})
          </h2>
          <p className="lead">
            This door admitted them while offline; the service did not. Find the holder, or note it for the organiser.
          </p>
          <ul className="item-list">
            {door.conflicts.map((conflict) => (
              <li key={conflict.nonce}>
                <div>
                  <p className="item-title">{conflict.title}</p>
                  <p className="meta">
                    {describeConflict(conflict, door.now)}
                    {conflict.holderEmail ? ` (holder ${conflict.holderEmail})` : ''}
                  </p>
                </div>
                <div className="item-actions">
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => door.dismissConflict(conflict.nonce)}
                    aria-label={`Dismiss: ${conflict.title}, scanned ${formatDoorTime(conflict.scannedAt, door.now)}`}
                  >
                    Dismiss
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="door-recent" aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recent scans</h2>
        {door.recent.length === 0 ? (
          <p className="meta">No scans yet on this page.</p>
        ) : (
          <ol className="item-list door-recent-list" data-testid="door-recent">
            {door.recent.map((scan) => (
              <RecentScan key={scan.nonce} scan={scan} now={door.now} />
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

function RecentScan({ scan, now }: { scan: ScanRecord; now: Date }) {
  const text = describeVerdict(scan.verdict, now);
  return (
    <li className={`door-recent-${text.tone}`}>
      <div className="door-recent-line">
        <VerdictIcon tone={text.tone} size={24} />
        <div>
          <p className="item-title">{text.headline}</p>
          <p className="meta">{text.details[0]}</p>
        </div>
      </div>
      <p className="meta">
        <time dateTime={scan.scannedAt}>{scanTime(scan.scannedAt)}</time>
        {scan.offline ? ' · offline' : ''}
      </p>
    </li>
  );
}
