'use client';

import { useRouter } from 'next/navigation';
import { useRef } from 'react';
import { isOwnedChange, readOwnedChange } from '@/lib/owned-changes';
import { OWNED_STREAM_PATH, type OwnedChange } from '@/lib/passes';
import { useEventStream } from '@/lib/use-live-view';

/** Changes arriving within this long of each other are one render. */
const SETTLE_MS = 300;

/**
 * Follows the caller's passes (`GET /api/tickets/owned/stream`, fed from `pass.issued` on the bus): when a pass
 * is issued to them or taken from them (a transfer, a resale bought), `onChange` runs, by default rendering the
 * page again on the server (`router.refresh()`). `shown` is what the page shows: each held ticket's generation
 * by its root id. Renders nothing.
 */
export function RefreshOnOwnedChanges({
  shown,
  onChange,
}: {
  shown: readonly (readonly [ticketId: string, generation: number])[];
  onChange?: (change: OwnedChange) => void;
}) {
  const router = useRouter();
  const handled = useRef(new Map<string, number>());
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEventStream(OWNED_STREAM_PATH, 'owned', (data) => {
    const change = readOwnedChange(data);
    if (!change || !isOwnedChange(new Map(shown), handled.current, change)) return;
    if (onChange) {
      onChange(change);
      return;
    }
    clearTimeout(pending.current);
    pending.current = setTimeout(() => router.refresh(), SETTLE_MS);
  });
  return null;
}
