import { ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '@ticketing/common/errors';
import { OrderStatus } from '@ticketing/common/events';
import { isUniqueViolation, type Executor } from '@ticketing/common/database';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { type ReplicaChanges } from '@ticketing/common/versions';
import {
  LIVE_ORDER_PER_TICKET_INDEX,
  insertOrder,
  readReservationOpening,
  readTicketForReservation,
  reservationOpening,
} from '../db/orders';
import { findTicket } from '../db/tickets';
import { EVENT_STARTED_MESSAGE, eventHasStarted } from './event-start';
import { ALREADY_RESERVED_MESSAGE, releaseBuyersOf, type HeldTickets } from './held-tickets';
import { toOrderState } from './order-payload';
import { toOrderView, type OrderView } from './order-view';
import { reservationExpiry, tooManyReservations } from './reservation-terms';
import { UNPAID } from './order-transitions';
import type { ReservationMemory } from './reservation-memory';

/** The message a buyer gets when the ticket moved past the version they saw. */
export const TICKET_CHANGED_MESSAGE = 'The ticket changed; review the new price';

/** The message a buyer gets for a ticket its seller took off sale. */
export const TICKET_WITHDRAWN_MESSAGE = 'The ticket was withdrawn by its seller';

export interface CreateOrderOptions {
  /** How long the buyer holds the ticket (ORDER_EXPIRATION_SECONDS). */
  expiresInSeconds: number;
  /** The ticket version the buyer saw; when given, the order is placed at exactly that version or not at all. */
  ticketVersion?: number;
  /** Most unpaid orders one buyer may hold at once (MAX_LIVE_ORDERS_PER_BUYER). */
  maxLiveOrders?: number;
  /** How long to wait for the replica to reach `ticketVersion` when it is behind. */
  replicaWaitMs?: number;
  /**
   * How often the replica is read again while waiting, for a change this process is not told of (applied by
   * another replica of orders); this process's own listener wakes the buyer at once.
   */
  replicaPollMs?: number;
  now?: Date;
}

/**
 * Reserves a ticket for a buyer at the price they saw: the order holds the ticket until it is paid,
 * cancelled or expired, and stores the price and ticket version it was placed at (what payments charges).
 *
 * 404 for a ticket this service does not know, 403 for the buyer's own ticket, 409 when another live order
 * holds it, its seller withdrew it, its event has started, the ticket moved past `ticketVersion` or
 * `ticketVersion` is further ahead of the replica than any version on its way can be, 429 when the
 * buyer already holds `maxLiveOrders` unpaid orders. Records `order.created`, which tickets mirrors as the lock
 * and expiration schedules.
 */
export async function createOrder(
  unitOfWork: UnitOfWork,
  memory: ReservationMemory,
  buyerId: string,
  ticketId: string,
  options: CreateOrderOptions,
): Promise<OrderView> {
  // Most buyers of a popular ticket lose: what this process has just seen, or one indexed read, answers
  // them without a transaction. Only a hint; the unique index below still decides every win.
  if (memory.heldTickets.isHeld(ticketId)) throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  // Outside the ticket's one-attempt slot: a buyer waiting for the replica to catch up (or asking for a
  // version that may never come) holds up nobody else's reservation of the ticket.
  await checkBeforeAttempt(unitOfWork.db, memory, ticketId, options);
  return oneAttemptAtATime(memory, ticketId, () =>
    placeOrder(unitOfWork, memory.heldTickets, buyerId, ticketId, options),
  );
}

/**
 * Runs `attempt` once no other attempt on the same ticket is under way in this process. Ten buyers of one
 * ticket arriving together used to read "free" together and then each run a transaction to lose it on the
 * unique index; now the later ones wait for the first, and once it has won they are refused from memory.
 * Across replicas the index still decides; within one, at most one transaction per ticket runs at a time.
 * Only the transaction runs in the slot: nothing in it waits for anything but the database.
 */
async function oneAttemptAtATime<T>(
  { attemptsUnderWay, heldTickets }: ReservationMemory,
  ticketId: string,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let earlier = attemptsUnderWay.get(ticketId); earlier !== undefined; earlier = attemptsUnderWay.get(ticketId)) {
    await earlier;
    if (heldTickets.isHeld(ticketId)) throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  }
  // Checked again on entry too: the checks before the slot read the database, and an attempt that won while
  // this buyer was reading has already left the slot, so there was nothing to wait for.
  if (heldTickets.isHeld(ticketId)) throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  const result = attempt();
  const underWay = result.then(
    () => undefined,
    () => undefined,
  );
  attemptsUnderWay.set(ticketId, underWay);
  try {
    return await result;
  } finally {
    if (attemptsUnderWay.get(ticketId) === underWay) attemptsUnderWay.delete(ticketId);
  }
}

/**
 * How far beyond the replica's version a buyer's `ticketVersion` may be and still be waited for. The replica
 * trails tickets by the events on their way, a few at most (an edit, a lock and its release); a version
 * further ahead has not been published, and waiting for it would only keep the request (and its retries)
 * busy for TICKET_REPLICA_WAIT_MS.
 */
export const MAX_VERSIONS_AHEAD_OF_REPLICA = 5;

/** The message for a `ticketVersion` too far ahead of anything published. */
export const NO_SUCH_VERSION_MESSAGE = 'No such version of this ticket; reload it and try again';

/**
 * Before the attempt, and outside its slot: the read that refuses most losers (held, withdrawn), a version
 * that cannot exist yet (409 at once), and the wait for a replica behind the version the buyer saw.
 */
async function checkBeforeAttempt(
  db: Executor,
  { heldTickets, requestsUnderWay, ticketReplicaChanges }: ReservationMemory,
  ticketId: string,
  { ticketVersion, replicaWaitMs = 2_000, replicaPollMs = REPLICA_POLL_MS }: CreateOrderOptions,
): Promise<void> {
  const known = await readTicketForReservation(db, ticketId);
  if (known.ticket?.withdrawn) throw new ConflictError(TICKET_WITHDRAWN_MESSAGE);
  if (known.held) {
    heldTickets.remember(ticketId);
    throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  }
  if (ticketVersion === undefined) return;
  // A ticket not known here yet counts from version 0 (its ticket.created is on its way).
  const replicaVersion = known.ticket?.version ?? 0;
  if (ticketVersion > replicaVersion + MAX_VERSIONS_AHEAD_OF_REPLICA) {
    throw new ConflictError(NO_SUCH_VERSION_MESSAGE, 'ticketVersion');
  }
  if (known.ticket === undefined || known.ticket.version < ticketVersion) {
    releaseBuyersOf(requestsUnderWay, ticketId);
    await waitForReplica(db, ticketReplicaChanges, ticketId, ticketVersion, {
      waitMs: replicaWaitMs,
      pollMs: replicaPollMs,
    });
  }
}

/** One buyer's reservation, in the ticket's slot: the transaction that places the order or refuses it. */
async function placeOrder(
  unitOfWork: UnitOfWork,
  heldTickets: HeldTickets,
  buyerId: string,
  ticketId: string,
  { expiresInSeconds, ticketVersion, maxLiveOrders, now = new Date() }: CreateOrderOptions,
): Promise<OrderView> {
  // The ticket, and for a capped buyer their lock and live orders, sent with BEGIN: one round trip, not four.
  const capped = maxLiveOrders === undefined ? undefined : { buyerId, statuses: UNPAID };
  const placed = await unitOfWork.transactionOpenedBy(
    reservationOpening(ticketId, capped),
    async (tx, events, opened) => {
      // The order copies price and version from this one read: it is placed at exactly the version it shows.
      const { ticket, liveOrders } = readReservationOpening(opened);
      if (!ticket) throw new NotFoundError('Ticket not found');
      if (ticket.userId === buyerId) throw new ForbiddenError('You cannot buy your own ticket');
      if (ticket.withdrawn) throw new ConflictError(TICKET_WITHDRAWN_MESSAGE);
      // By the clock of this request: a replica that has the start refuses from that instant on, whatever the list showed.
      if (eventHasStarted(ticket, now)) throw new ConflictError(EVENT_STARTED_MESSAGE);
      if (ticketVersion !== undefined && ticket.version !== ticketVersion)
        throw new ConflictError(TICKET_CHANGED_MESSAGE);
      // One buyer's orders are placed one at a time (on any replica), so the count cannot be outrun.
      if (maxLiveOrders !== undefined && liveOrders !== undefined && liveOrders >= maxLiveOrders) {
        throw tooManyReservations(maxLiveOrders);
      }

      // No "is it free?" read first: that would race. The partial unique index decides, atomically.
      const order = await insertOrder(tx, {
        userId: buyerId,
        ticketId: ticket.id,
        status: OrderStatus.Created,
        price: ticket.price,
        expiresAt: reservationExpiry(now, expiresInSeconds, ticket),
      }).catch((error: unknown) => {
        if (isUniqueViolation(error, LIVE_ORDER_PER_TICKET_INDEX)) {
          heldTickets.remember(ticketId);
          throw new ConflictError(ALREADY_RESERVED_MESSAGE);
        }
        throw error;
      });

      await events.record('order.created', toOrderState(order, ticket));
      return toOrderView(order, ticket);
    },
  );
  heldTickets.remember(ticketId);
  return placed;
}

/** How often the replica is read again while a buyer waits for a change this process is not told of. */
export const REPLICA_POLL_MS = 50;

/**
 * Waits (briefly) until the replica holds at least version `ticketVersion` of the ticket: the buyer saw a
 * listing or an edit whose event has not reached this service yet. Read again as soon as this process's
 * listener applies a change of the ticket (`ticketReplicaChanges`), and every `pollMs` in any case. A replica still behind after
 * `waitMs` is a 503 (try again), never an order at a price the buyer did not see.
 */
export async function waitForReplica(
  db: Executor,
  ticketReplicaChanges: ReplicaChanges,
  ticketId: string,
  ticketVersion: number,
  { waitMs, pollMs }: { waitMs: number; pollMs: number },
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Taken before the read, so that a change committed while reading still wakes this buyer.
    const change = ticketReplicaChanges.next(ticketId);
    const replica = await findTicket(db, ticketId);
    if (replica && replica.version >= ticketVersion) return change.cancel();
    const left = deadline - Date.now();
    if (left <= 0) {
      change.cancel();
      if (!replica) return; // Unknown here: the transaction answers 404.
      throw new ServiceUnavailableError('The ticket is being updated; please try again', 1);
    }
    await change.within(Math.min(pollMs, left));
  }
}
