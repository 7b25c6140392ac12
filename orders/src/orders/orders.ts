import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  Outbox,
  OrderStatus,
  ServiceUnavailableError,
  TooManyRequestsError,
  decimalFromCents,
  isUniqueViolation,
  type EventData,
  type EventRecorder,
  type Executor,
} from '@ticketing/common';
import type { Order as ApiOrder, ErrorEnvelope } from '@ticketing/common/api';
import {
  LIVE_ORDER_PER_TICKET_INDEX,
  countLiveOrdersOfBuyer,
  findOrder,
  findOrderWithTicket,
  insertOrder,
  listOrderIdsDueBefore,
  listOrdersOfUser,
  lockBuyer,
  readTicketForReservation,
  transitionOrder,
} from '../db/orders';
import type { Order, TicketReplica } from '../db/schema';
import { findTicket } from '../db/tickets';
import { HeldTickets } from './held-tickets';
import { TicketReplicaChanges } from './ticket-replica-changes';

/**
 * How long a ticket seen held is answered "already reserved" from memory: in a flash sale, most buyers of
 * a ticket ask within the same second as its winner.
 */
export const HELD_TICKET_MEMORY_MS = 2_000;

/** This process's memory of held tickets (see {@link HeldTickets}); every cancellation here forgets one. */
export const heldTickets = new HeldTickets(HELD_TICKET_MEMORY_MS);

/** Wakes buyers of this process waiting for the ticket replica; the ticket listener says when it changed. */
export const ticketReplicaChanges = new TicketReplicaChanges();

/**
 * The answer for a ticket this process has just seen held, or undefined: the envelope a thrown
 * ConflictError would give, built without an Error (whose stack trace is a good part of a refusal's cost).
 */
export function knownHeldRefusal(ticketId: unknown): ErrorEnvelope | undefined {
  return heldTickets.isHeld(ticketId) ? { errors: [{ message: ALREADY_RESERVED_MESSAGE }] } : undefined;
}

/** An order as the API shows it (docs/openapi.yaml): the price a decimal, the deadline an ISO string. */
export type OrderView = ApiOrder;

/**
 * Where a use case writes: in a transaction of its own on the outbox (a route, the sweep), or inside a
 * listener's transaction, so that the effect, the events it owes and the inbox record commit together.
 */
export type WriteScope = Outbox | { tx: Executor; events: EventRecorder };

function within<T>(scope: WriteScope, work: (tx: Executor, events: EventRecorder) => Promise<T>): Promise<T> {
  return scope instanceof Outbox ? scope.transaction(work) : work(scope.tx, scope.events);
}

/** Statuses an order can still leave: it holds the ticket and is not paid yet. */
export const UNPAID: readonly OrderStatus[] = [OrderStatus.Created, OrderStatus.AwaitingPayment];

const ALREADY_RESERVED_MESSAGE = 'Ticket is already reserved';

/** The message a buyer gets when the ticket moved past the version they saw. */
export const TICKET_CHANGED_MESSAGE = 'The ticket changed; review the new price';

/** The ticket's price as the order shows it is the price the order was placed at, never the replica's current one. */
export function toOrderView(order: Order, ticket: TicketReplica): OrderView {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: ticket.id, title: ticket.title, price: decimalFromCents(order.price) },
    version: order.version,
    createdAt: order.createdAt.toISOString(),
  };
}

/** An order's whole state as orders publishes it (order.created, order.restated). */
export function toOrderState(order: Order): EventData<'order.restated'> {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: order.ticketId, price: order.price },
    version: order.version,
  };
}

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
 * holds it or the ticket moved past `ticketVersion`, 429 when the buyer already holds `maxLiveOrders`
 * unpaid orders. Records `order.created`, which tickets mirrors as the lock and expiration schedules.
 */
export async function createOrder(
  outbox: Outbox,
  buyerId: string,
  ticketId: string,
  options: CreateOrderOptions,
): Promise<OrderView> {
  // Most buyers of a popular ticket lose: what this process has just seen, or one indexed read, answers
  // them without a transaction. Only a hint; the unique index below still decides every win.
  if (heldTickets.isHeld(ticketId)) throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  return oneAttemptAtATime(ticketId, () => attemptReservation(outbox, buyerId, ticketId, options));
}

/** Per ticket, the reservation attempt under way in this process (settles, never rejects, when it ends). */
const attemptsUnderWay = new Map<string, Promise<void>>();

/**
 * Runs `attempt` once no other attempt on the same ticket is under way in this process. Ten buyers of one
 * ticket arriving together used to read "free" together and then each run a transaction to lose it on the
 * unique index; now the later ones wait for the first, and once it has won they are refused from memory.
 * Across replicas the index still decides; within one, at most one transaction per ticket runs at a time.
 */
async function oneAttemptAtATime<T>(ticketId: string, attempt: () => Promise<T>): Promise<T> {
  for (let earlier = attemptsUnderWay.get(ticketId); earlier !== undefined; earlier = attemptsUnderWay.get(ticketId)) {
    await earlier;
    if (heldTickets.isHeld(ticketId)) throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  }
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

/** One buyer's reservation: the read that refuses most losers, the replica wait, the transaction. */
async function attemptReservation(
  outbox: Outbox,
  buyerId: string,
  ticketId: string,
  {
    expiresInSeconds,
    ticketVersion,
    maxLiveOrders,
    replicaWaitMs = 2_000,
    replicaPollMs = REPLICA_POLL_MS,
    now = new Date(),
  }: CreateOrderOptions,
): Promise<OrderView> {
  const known = await readTicketForReservation(outbox.db, ticketId);
  if (known.held) {
    heldTickets.remember(ticketId);
    throw new ConflictError(ALREADY_RESERVED_MESSAGE);
  }
  const replicaBehind = known.ticket === undefined || known.ticket.version < (ticketVersion ?? 0);
  if (ticketVersion !== undefined && replicaBehind) {
    await waitForReplica(outbox.db, ticketId, ticketVersion, { waitMs: replicaWaitMs, pollMs: replicaPollMs });
  }
  const placed = await outbox.transaction(async (tx, events) => {
    // The order copies price and version from this one read: it is placed at exactly the version it shows.
    const ticket = await findTicket(tx, ticketId);
    if (!ticket) throw new NotFoundError('Ticket not found');
    if (ticket.userId === buyerId) throw new ForbiddenError('You cannot buy your own ticket');
    if (ticketVersion !== undefined && ticket.version !== ticketVersion)
      throw new ConflictError(TICKET_CHANGED_MESSAGE);

    if (maxLiveOrders !== undefined) {
      // One buyer's orders are placed one at a time (on any replica), so the count cannot be outrun.
      await lockBuyer(tx, buyerId);
      if ((await countLiveOrdersOfBuyer(tx, buyerId, UNPAID)) >= maxLiveOrders) {
        throw new TooManyRequestsError(
          `You already hold ${maxLiveOrders} reservation${maxLiveOrders === 1 ? '' : 's'}`,
        );
      }
    }

    // No "is it free?" read first: that would race. The partial unique index decides, atomically.
    const order = await insertOrder(tx, {
      userId: buyerId,
      ticketId: ticket.id,
      status: OrderStatus.Created,
      price: ticket.price,
      ticketVersion: ticket.version,
      expiresAt: new Date(now.getTime() + expiresInSeconds * 1000),
    }).catch((error: unknown) => {
      if (isUniqueViolation(error, LIVE_ORDER_PER_TICKET_INDEX)) {
        heldTickets.remember(ticketId);
        throw new ConflictError(ALREADY_RESERVED_MESSAGE);
      }
      throw error;
    });

    await events.record('order.created', toOrderState(order));
    return toOrderView(order, ticket);
  });
  heldTickets.remember(ticketId);
  return placed;
}

/** How often the replica is read again while a buyer waits for a change this process is not told of. */
const REPLICA_POLL_MS = 50;

/**
 * Waits (briefly) until the replica holds at least version `ticketVersion` of the ticket: the buyer saw a
 * listing or an edit whose event has not reached this service yet. Read again as soon as this process's
 * listener applies a change of the ticket, and every `pollMs` in any case. A replica still behind after
 * `waitMs` is a 503 (try again), never an order at a price the buyer did not see.
 */
async function waitForReplica(
  db: Executor,
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

export type CancelOutcome =
  | { result: 'cancelled'; order: Order }
  | { result: 'already-cancelled'; order: Order }
  | { result: 'complete'; order: Order }
  | { result: 'not-found' };

/**
 * Cancels an unpaid order, which releases its ticket, and records `order.cancelled` with the new version.
 * Safe to call any number of times and from anywhere at once (buyer, expiry, declined payment, sweep):
 * only the call whose conditional update wins changes the order and records the event. A complete order
 * is sold and stays complete; the caller decides whether that is an error.
 */
export async function cancelOrder(scope: WriteScope, orderId: string): Promise<CancelOutcome> {
  return within(scope, async (tx, events) => {
    const cancelled = await transitionOrder(tx, orderId, UNPAID, OrderStatus.Cancelled);
    if (cancelled) {
      heldTickets.forget(cancelled.ticketId);
      await events.record('order.cancelled', {
        id: cancelled.id,
        ticket: { id: cancelled.ticketId },
        version: cancelled.version,
      });
      return { result: 'cancelled', order: cancelled };
    }
    return whyNotTransitioned(tx, orderId, {
      [OrderStatus.Cancelled]: 'already-cancelled',
      [OrderStatus.Complete]: 'complete',
    });
  });
}

export type CompleteOutcome =
  | { result: 'completed'; order: Order }
  | { result: 'already-complete'; order: Order }
  | { result: 'cancelled'; order: Order }
  | { result: 'not-found' };

/**
 * Marks an unpaid order paid and records `order.completed`: the ticket is sold to its buyer for good.
 * Terminal. An order cancelled meanwhile stays cancelled: the payments service refunds that charge
 * (DESIGN.md rule 5), because the ticket may already be someone else's.
 */
export async function completeOrder(scope: WriteScope, orderId: string): Promise<CompleteOutcome> {
  return within(scope, async (tx, events) => {
    const completed = await transitionOrder(tx, orderId, UNPAID, OrderStatus.Complete);
    if (completed) {
      await events.record('order.completed', {
        id: completed.id,
        ticket: { id: completed.ticketId },
        version: completed.version,
      });
      return { result: 'completed', order: completed };
    }
    return whyNotTransitioned(tx, orderId, {
      [OrderStatus.Complete]: 'already-complete',
      [OrderStatus.Cancelled]: 'cancelled',
    });
  });
}

/**
 * After a conditional update matched nothing: the order is unknown, or in a terminal status. It cannot be
 * unpaid here, since nothing moves an order back to an unpaid status.
 */
async function whyNotTransitioned<R extends string>(
  tx: Executor,
  orderId: string,
  outcomes: Record<typeof OrderStatus.Cancelled | typeof OrderStatus.Complete, R>,
): Promise<{ result: R; order: Order } | { result: 'not-found' }> {
  const order = await findOrder(tx, orderId);
  if (!order) return { result: 'not-found' };
  if (order.status === OrderStatus.Cancelled || order.status === OrderStatus.Complete) {
    return { result: outcomes[order.status], order };
  }
  throw new Error(`order ${orderId} is ${order.status} yet its conditional update matched nothing`);
}

export interface SweepOptions {
  /** How long past its deadline an order is left to the expiration service's timer first. */
  graceSeconds: number;
  now?: Date;
  batchSize?: number;
}

/**
 * The backstop for lost expiration timers (DESIGN.md rule 7): cancels every unpaid order whose deadline
 * plus grace has passed, each through {@link cancelOrder} in a transaction of its own, so one failure
 * does not undo the others, and a sweep running at the same time on another replica (or an expiry
 * arriving meanwhile) cancels each order once. Resolves to how many orders this call cancelled.
 */
export async function sweepOverdueOrders(
  outbox: Outbox,
  { graceSeconds, now = new Date(), batchSize = 200 }: SweepOptions,
): Promise<number> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  let cancelled = 0;
  for (;;) {
    const ids = await listOrderIdsDueBefore(outbox.db, UNPAID, cutoff, batchSize);
    for (const id of ids) {
      if ((await cancelOrder(outbox, id)).result === 'cancelled') cancelled += 1;
    }
    // Every order of a full batch is no longer unpaid now, so the next read moves on; a short one was the last.
    if (ids.length < batchSize) return cancelled;
  }
}

/** The buyer's orders, newest first, each with its ticket. */
export async function listBuyerOrders(db: Executor, buyerId: string): Promise<OrderView[]> {
  const rows = await listOrdersOfUser(db, buyerId);
  return rows.map((row) => toOrderView(row.order, row.ticket));
}

/** One of the buyer's orders: 404 when unknown, 403 when it is someone else's. */
export async function showBuyerOrder(db: Executor, buyerId: string, orderId: string): Promise<OrderView> {
  const row = await findOrderWithTicket(db, orderId);
  if (!row) throw new NotFoundError('Order not found');
  assertBuyerOwns(row.order, buyerId);
  return toOrderView(row.order, row.ticket);
}

/**
 * The buyer cancels their order: 404 / 403 as for reading it, 409 once it is complete. Cancelling an
 * order that is already cancelled changes nothing and is not an error.
 */
export async function cancelBuyerOrder(outbox: Outbox, buyerId: string, orderId: string): Promise<void> {
  await outbox.transaction(async (tx, events) => {
    const order = await findOrder(tx, orderId);
    if (!order) throw new NotFoundError('Order not found');
    assertBuyerOwns(order, buyerId);
    const outcome = await cancelOrder({ tx, events }, orderId);
    if (outcome.result === 'complete') throw new ConflictError('Order is complete and cannot be cancelled');
  });
}

function assertBuyerOwns(order: Order, buyerId: string): void {
  if (order.userId !== buyerId) throw new ForbiddenError('You do not own this order');
}
