'use client';

import { useRouter } from 'next/navigation';
import { useRef } from 'react';
import { isChangeSinceSeen, ticketsStreamUrl, type Versioned } from '@/lib/live-views';
import { useEventStream } from '@/lib/use-live-view';

/** Changes arriving within this long of each other are one render (an unlock and the next holder's lock). */
const SETTLE_MS = 300;

/**
 * Renders the page again (on the server, `router.refresh()`) when any of these tickets changes: for a page whose
 * content follows from the tickets without showing them, like "My orders", where a reservation handed over from a
 * waiting list appears, a place leaves the line, or an order's ticket is sold. One stream for all of them, fed
 * from the bus like every live page; renders nothing itself.
 */
export function RefreshOnTicketChanges({ ticketIds }: { ticketIds: readonly string[] }) {
  const router = useRouter();
  const seen = useRef(new Map<string, number>());
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEventStream(ticketsStreamUrl(ticketIds), 'ticket', (data) => {
    if (!isChangeSinceSeen(seen.current, data as Versioned)) return;
    clearTimeout(pending.current);
    pending.current = setTimeout(() => router.refresh(), SETTLE_MS);
  });
  return null;
}
