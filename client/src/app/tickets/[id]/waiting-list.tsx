'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useActionState, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ErrorAlert, Notice } from '@/components/alert';
import { useVisitor } from '@/components/visitor';
import { browserApi } from '@/lib/browser-api';
import { isKnownSeller } from '@/lib/purchase-offer';
import { isOrderOpen } from '@/lib/ticket-state';
import type { Order, WaitingPlace } from '@ticketing/common/api';
import { changeWaitingList, type WaitingListState } from './actions';

/** Where the visitor stands with a ticket someone has reserved. */
type Standing = { kind: 'holder'; orderId: string } | { kind: 'queued'; position: number } | { kind: 'not-queued' };

const INITIAL_STATE: WaitingListState = { place: null, errors: [], attempt: 0 };

/**
 * While the visitor is in line, how often their position is read again even when the ticket has not changed:
 * people ahead of them leaving the line is not a change of the ticket. The hand-over itself is a change of the
 * ticket (its lock moves to the new holder's order), which the page hears from the ticket's stream at once.
 */
const POSITION_CHECK_EVERY_MS = 30_000;

/** Their open order for the ticket, else their place in its line (both lists are the visitor's own). */
async function readStanding(ticketId: string): Promise<Standing | undefined> {
  const [orders, places] = await Promise.all([
    browserApi<Order[]>('/api/orders'),
    browserApi<WaitingPlace[]>('/api/orders/waitlist'),
  ]);
  if (!orders.ok || !places.ok) return undefined;
  const held = orders.data.find((order) => order.ticket.id === ticketId && isOrderOpen(order));
  if (held) return { kind: 'holder', orderId: held.id };
  const place = places.data.find((entry) => entry.ticketId === ticketId);
  return place ? { kind: 'queued', position: place.position } : { kind: 'not-queued' };
}

const BUTTON_LABELS = {
  join: { idle: 'Join the waiting list', pending: 'Joining…' },
  leave: { idle: 'Leave the waiting list', pending: 'Leaving…' },
} as const;

/** What the last join or leave says, for as long as nothing newer has been read. */
function standingAfter(state: WaitingListState): Standing {
  if (state.place === null || state.place === 'left') return { kind: 'not-queued' };
  return { kind: 'queued', position: state.place.position };
}

/**
 * The waiting list of a reserved ticket, below `children` (why Purchase is refused): "Join the waiting list",
 * the visitor's position once in line and "Leave the waiting list"; and, when the reservation is theirs (handed
 * over to them, or their own purchase), a link to their order instead. The forms post to a server action, so
 * they work before hydration and without JavaScript; like Purchase, joining is offered until the browser knows
 * who is looking (the API's 401 sends a signed-out visitor to sign in), then only to a signed-in buyer who is not
 * the seller, with where they stand read from their own orders and places, again each time the ticket changes.
 */
export function WaitingList({
  ticketId,
  ticketVersion,
  sellerId,
  children,
}: {
  ticketId: string;
  /**
   * The version on screen, kept live by the ticket's stream: each new one is a reason to read again, and a join
   * sends it, so that the place records the price shown beside it.
   */
  ticketVersion: number;
  sellerId: string;
  children: ReactNode;
}) {
  const visitor = useVisitor();
  const signedInBuyer = visitor.known && visitor.user !== null && !isKnownSeller(visitor, sellerId);
  const router = useRouter();
  const [state, formAction, pending] = useActionState(changeWaitingList, INITIAL_STATE);
  const [read, setRead] = useState<Standing | undefined>(undefined);
  // A join or leave answered after the last read is newer than it.
  const [readAfterAttempt, setReadAfterAttempt] = useState(0);

  const check = useCallback(
    async (attempt: number) => {
      const standing = await readStanding(ticketId);
      // A failed read (orders unreachable for a moment) keeps what is shown.
      if (standing === undefined) return;
      setRead(standing);
      setReadAfterAttempt(attempt);
    },
    [ticketId],
  );

  // On showing, after each join or leave, and whenever the ticket changes: a release that hands the ticket over
  // moves its lock to the new holder's order, so the ticket's stream tells every waiter within a second.
  useEffect(() => {
    if (signedInBuyer) void check(state.attempt);
  }, [signedInBuyer, check, state.attempt, ticketVersion]);

  const standing = read !== undefined && readAfterAttempt >= state.attempt ? read : standingAfter(state);

  // Handed over while in line: the ticket's badge and the rest of the page change with it.
  const wasQueued = useRef(false);
  useEffect(() => {
    if (standing.kind === 'holder' && wasQueued.current) router.refresh();
    wasQueued.current = standing.kind === 'queued';
  }, [standing.kind, router]);

  useEffect(() => {
    if (!signedInBuyer || standing.kind !== 'queued') return;
    const timer = setInterval(() => void check(state.attempt), POSITION_CHECK_EVERY_MS);
    return () => clearInterval(timer);
  }, [signedInBuyer, standing.kind, check, state.attempt]);

  if (visitor.known && !signedInBuyer) return children;

  // One polite live region for what changes here: the position, joining, leaving, the hand-over.
  if (standing.kind === 'holder') {
    return (
      <div className="form" aria-live="polite">
        <Notice tone="success">
          <p>This ticket is reserved for you.</p>
          <Link href={`/orders/${standing.orderId}`} prefetch={false}>
            Go to your order to pay
          </Link>
        </Notice>
      </div>
    );
  }

  const queued = standing.kind === 'queued';
  const intent = queued ? 'leave' : 'join';
  return (
    <div className="form" aria-live="polite">
      {children}
      {queued ? (
        <p className="lead" data-testid="waiting-list-position">
          You are number {standing.position} on the waiting list. If the ticket is released, it is reserved for the
          first person in line.
        </p>
      ) : (
        <p className="hint">Join the waiting list to have it reserved for you if it is released.</p>
      )}
      <form className="form" action={formAction} aria-busy={pending}>
        <input type="hidden" name="ticketId" value={ticketId} />
        <input type="hidden" name="intent" value={intent} />
        {/* The version on screen, with the price beside it: the place records that price or the join is refused. */}
        <input type="hidden" name="ticketVersion" value={ticketVersion} />
        {!pending && <ErrorAlert messages={state.errors} />}
        <button type="submit" className="button button-secondary" disabled={pending}>
          {BUTTON_LABELS[intent][pending ? 'pending' : 'idle']}
        </button>
      </form>
    </div>
  );
}
