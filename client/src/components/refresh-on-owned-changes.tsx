'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import { isOwnedChange, readOwnedChange } from '@/lib/owned-changes';
import { OWNED_STREAM_PATH, type OwnedChange } from '@/lib/passes';
import { useEventStream } from '@/lib/use-live-view';

/** Changes arriving within this long of each other are one render. */
const SETTLE_MS = 300;

/**
 * Follows the caller's passes (`GET /api/tickets/owned/stream`, fed from `pass.issued` on the bus): when a pass
 * is issued to them or taken from them (a transfer, a resale bought), `onChange` runs with the change, by
 * default rendering the page again on the server (`router.refresh()`). The stream sends no snapshot, and the
 * service ends it when its bus connection comes back after an outage (a change may have passed unheard): each
 * time it opens again, `onChange` runs without a change. `shown` is what the page shows: each held ticket's
 * generation by its root id. Renders nothing.
 */
export function RefreshOnOwnedChanges({
  shown,
  onChange,
}: {
  shown: readonly (readonly [ticketId: string, generation: number])[];
  onChange?: (change: OwnedChange | undefined) => void;
}) {
  const router = useRouter();
  const handled = useRef(new Map<string, number>());
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const hasOpened = useRef(false);
  const changed = (change: OwnedChange | undefined) => {
    if (onChange) {
      onChange(change);
      return;
    }
    clearTimeout(pending.current);
    pending.current = setTimeout(() => router.refresh(), SETTLE_MS);
  };
  const status = useEventStream(OWNED_STREAM_PATH, 'owned', (data) => {
    const change = readOwnedChange(data);
    if (change && isOwnedChange(new Map(shown), handled.current, change)) changed(change);
  });
  const reopened = useRef(changed);
  useEffect(() => {
    reopened.current = changed;
  });
  useEffect(() => {
    if (status !== 'open') return;
    // The first opening follows the render; a later one may have missed changes while the stream was down.
    if (hasOpened.current) reopened.current(undefined);
    hasOpened.current = true;
  }, [status]);
  useEffect(() => () => clearTimeout(pending.current), []);
  return null;
}
