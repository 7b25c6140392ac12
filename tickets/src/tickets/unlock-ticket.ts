import type { EventRecorder } from '@ticketing/common/outbox';
import type { Executor } from '@ticketing/common/database';
import { lockRowAndRelease } from '../db/order-locks';
import { findTicketForUpdate, moveTicketLock } from '../db/tickets';
import { findReleasedOrder, recordReleasedOrder } from '../db/released-orders';
import type { Ticket } from '../db/schema';
import { toTicketPayload } from './ticket-payload';

/** What `order.cancelled` did to the ticket. */
export type UnlockOutcome =
  /** Freed: nobody was handed it. */
  | 'unlocked'
  /** Its lock moved, in this one step, to the order orders handed it to (the next buyer in its waiting list). */
  | 'handed-over'
  /** Another order holds it (or nobody, and nobody was handed it): nothing changed but the record. */
  | 'not-held-by-order';

/** A release names the next one; a chain longer than this is a bug, not a waiting list. */
const MAX_HAND_OVERS_FOLLOWED = 1_000;

/**
 * Remembers the cancelled order (so a late `order.created` never locks for it) and frees the ticket, but
 * only if this very order still holds it: a later order may hold it already. The ticket's row lock comes
 * first, as in lockTicket, whose `order.created` may be handled at the same time.
 *
 * When orders handed the ticket to the next buyer in its waiting list in the same transaction as the release
 * (`handedOverTo`), the lock moves straight to that order, in one step and one `ticket.updated`: the ticket is
 * never free here in between, so its seller can neither withdraw nor edit it in a gap before the new order's
 * `order.created` arrives (on another consumer, in any order). That event then finds its lock in place. A
 * ticket still free because the released order's own `order.created` has not arrived is locked for the new
 * order too, as its `order.created` would. If the new order was itself released already (its cancellation
 * arrived first), the lock follows its hand-over in turn; the ticket is freed only at the end of the chain.
 */
export async function unlockTicket(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string; handedOverTo?: string },
): Promise<UnlockOutcome> {
  let ticket: Ticket | undefined;
  if (order.handedOverTo === undefined) {
    // The usual case (an expiry, a cancel) with the row lock, in one round trip: the release recorded and the
    // ticket freed if this order holds it, unless a hand-over is known for the order; then, the release
    // recorded, the steps below decide.
    const released = await lockRowAndRelease(tx, order.ticketId, order.id);
    if (released.freed) {
      await events.record('ticket.updated', toTicketPayload(released.freed));
      return 'unlocked';
    }
    ticket = released.ticket;
  } else {
    ticket = await findTicketForUpdate(tx, order.ticketId);
  }
  // A restatement names no hand-over: the one its order.cancelled recorded is used. Recording it again is harmless.
  const { handedOverTo } = await recordReleasedOrder(tx, order.id, order.handedOverTo);
  if (!ticket || ticket.soldAt !== null) return 'not-held-by-order';
  const nextHolder = handedOverTo ? await findLiveHolder(tx, handedOverTo) : undefined;
  const heldByOrder = ticket.orderId === order.id;
  const freeForNextHolder = ticket.orderId === null && ticket.withdrawnAt === null && nextHolder !== undefined;
  if (!heldByOrder && !freeForNextHolder) return 'not-held-by-order';
  await moveLock(tx, events, ticket, nextHolder ?? null);
  return nextHolder ? 'handed-over' : 'unlocked';
}

/**
 * The order that holds the ticket after `orderId` took it: that order itself, unless this service has seen it
 * released, then the one it was handed to, and so on; undefined when the chain ends in a release nobody took.
 */
async function findLiveHolder(tx: Executor, orderId: string): Promise<string | undefined> {
  let candidate: string | null = orderId;
  for (let followed = 0; candidate !== null && followed < MAX_HAND_OVERS_FOLLOWED; followed += 1) {
    const release = await findReleasedOrder(tx, candidate);
    if (!release) return candidate;
    candidate = release.handedOverTo;
  }
  if (candidate !== null) throw new Error(`hand-overs from order ${orderId} do not end`);
  return undefined;
}

async function moveLock(tx: Executor, events: EventRecorder, ticket: Ticket, orderId: string | null): Promise<void> {
  const moved = await moveTicketLock(tx, ticket.id, ticket.version, orderId);
  if (!moved) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(moved));
}
