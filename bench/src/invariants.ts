/**
 * The invariants: what must hold after any fault, once the stack has healed and gone quiet (the
 * consistency rules of docs/rules.md, as bench/README.md lists them). Each check reads the services' own databases
 * (and the stream's dead letters) and returns its violations, one short line of ids each, fit for a person
 * to search the run's log and the databases for. Invariant 4 is different: it cannot be seen afterwards, so
 * {@link LockSampler} watches orders' truth during the whole run.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { ChargeStatus, OrderStatus } from '@ticketing/common';

import type { AvailabilityLog } from './availability';
import type { ServiceTimings } from './chaos-stack';
import type { ServiceDatabases } from './databases';
import type { DeadLetter } from './stream';

export interface InvariantResult {
  number: number;
  title: string;
  violations: string[];
  /** How it was checked, when that needs saying (samples counted, a column missing). */
  note?: string;
}

export const INVARIANT_TITLES: Readonly<Record<number, string>> = {
  1: 'no ticket in two live or complete orders',
  2: 'every order complete with one charge, or cancelled with none unrefunded',
  3: "every charge's amount equals its order's price",
  4: 'no lock held past expiresAt + sweep grace + a few seconds',
  5: "tickets' view (orderId, sold) equals orders' truth",
  6: "payments' order replica (status, version) equals orders",
  7: 'no dead letter but poison messages',
  8: 'a bought ticket listed again at most once at a time, and a withdrawn one held by no order',
  9: "at most one current code per ticket, held by orders' buyer (or whom they handed it to); no void code admitted",
};

/** A dead letter of this kind is a poison message, dead-lettered on purpose; every other kind is a lost event. */
const POISON_KIND = 'malformed';

const UNPAID: readonly string[] = [OrderStatus.Created];

interface OrderRow {
  id: string;
  ticket_id: string;
  /** The buyer. */
  user_id: string;
  status: string;
  version: number;
  /** Integer cents: the price the order was reserved at (absent from databases older than the column). */
  price?: number;
  expires_at: Date;
}

interface TicketRow {
  id: string;
  order_id: string | null;
  sold: boolean;
  /** The bought ticket a resale lists again (null for a first listing, or before resale existed). */
  resale_of?: string | null;
  withdrawn?: boolean;
}

interface PassRow {
  ticket_id: string;
  held_ticket_id: string;
  holder_id: string;
  generation: number;
}

interface PassCodeRow {
  ticket_id: string;
  generation: number;
  holder_id: string;
  held_ticket_id: string;
  issued_at: Date;
  voided_at: Date | null;
  void_reason: string | null;
}

interface CheckinRow {
  ticket_id: string;
  generation: number;
  admitted_at: Date;
}

/** What invariant 9 reads; undefined before tickets had passes (a checkout older than passes). */
interface PassSnapshot {
  passes: PassRow[];
  codes: PassCodeRow[];
  checkins: CheckinRow[];
}

interface ChargeRow {
  id: string;
  order_id: string;
  status: string;
  amount: number;
  stripe_refund_id: string | null;
}

interface ReplicaRow {
  id: string;
  status: string;
  version: number;
}

/** Everything the checks read, in one go, after the quiet period. */
interface Snapshot {
  orders: OrderRow[];
  /** False when `orders.price` does not exist yet: invariant 3 cannot be checked. */
  ordersHavePrice: boolean;
  tickets: TicketRow[];
  charges: ChargeRow[];
  paymentsOrders: ReplicaRow[];
  passes: PassSnapshot | undefined;
}

/** Checks invariants 1–3 and 5–7 on the databases and dead letters, and takes 4 from the sampler. */
export async function checkInvariants(
  databases: ServiceDatabases,
  deadLetters: readonly DeadLetter[],
  lockSampler: LockSampler,
): Promise<InvariantResult[]> {
  const snapshot = await takeSnapshot(databases);
  return [
    result(1, checkOneLockPerTicket(snapshot)),
    result(2, checkOrdersSettled(snapshot)),
    snapshot.ordersHavePrice
      ? result(3, checkChargedPrice(snapshot))
      : result(3, ['orders.price does not exist: the charged price cannot be checked'], 'column missing'),
    lockSampler.result(),
    result(5, checkTicketsView(snapshot)),
    result(6, checkPaymentsReplica(snapshot)),
    result(7, checkDeadLetters(deadLetters), `${deadLetters.length} dead letters read`),
    result(8, checkResalesAndWithdrawals(snapshot)),
    snapshot.passes
      ? result(9, checkPasses(snapshot, snapshot.passes))
      : result(9, ['tickets has no passes table: passes cannot be checked'], 'table missing'),
  ];
}

function result(number: number, violations: string[], note?: string): InvariantResult {
  return { number, title: INVARIANT_TITLES[number] ?? '', violations, note };
}

async function takeSnapshot(databases: ServiceDatabases): Promise<Snapshot> {
  let orders: OrderRow[];
  let ordersHavePrice = true;
  try {
    orders = await databases.query<OrderRow>(
      'orders',
      'SELECT id, ticket_id, user_id, status, version, price, expires_at FROM orders',
    );
  } catch (error) {
    // 42703: undefined column. Until orders stores its price, the rest can still be checked.
    if ((error as { code?: string }).code !== '42703') throw error;
    ordersHavePrice = false;
    orders = await databases.query<OrderRow>(
      'orders',
      'SELECT id, ticket_id, user_id, status, version, expires_at FROM orders',
    );
  }
  const [tickets, charges, paymentsOrders] = await Promise.all([
    databases.query<TicketRow>(
      'tickets',
      'SELECT id, order_id, sold_at IS NOT NULL AS sold, resale_of, withdrawn_at IS NOT NULL AS withdrawn FROM tickets',
    ),
    databases.query<ChargeRow>('payments', 'SELECT id, order_id, status, amount, stripe_refund_id FROM charges'),
    databases.query<ReplicaRow>('payments', 'SELECT id, status, version FROM orders'),
  ]);
  return { orders, ordersHavePrice, tickets, charges, paymentsOrders, passes: await takePassSnapshot(databases) };
}

async function takePassSnapshot(databases: ServiceDatabases): Promise<PassSnapshot | undefined> {
  try {
    const [passes, codes, checkins] = await Promise.all([
      databases.query<PassRow>('tickets', 'SELECT ticket_id, held_ticket_id, holder_id, generation FROM passes'),
      databases.query<PassCodeRow>(
        'tickets',
        'SELECT ticket_id, generation, holder_id, held_ticket_id, issued_at, voided_at, void_reason FROM pass_codes',
      ),
      databases.query<CheckinRow>('tickets', 'SELECT ticket_id, generation, admitted_at FROM checkins'),
    ]);
    return { passes, codes, checkins };
  } catch (error) {
    // 42P01: undefined table, a checkout from before passes.
    if ((error as { code?: string }).code !== '42P01') throw error;
    return undefined;
  }
}

/** 1. Orders' unique index on the live ticket is the lock: never two orders holding one ticket. */
function checkOneLockPerTicket({ orders }: Snapshot): string[] {
  const holders = groupBy(
    orders.filter((order) => order.status !== OrderStatus.Cancelled),
    (order) => order.ticket_id,
  );
  return [...holders]
    .filter(([, held]) => held.length > 1)
    .map(
      ([ticketId, held]) =>
        `ticket ${ticketId} held by ${held.map((order) => `${order.id} (${order.status})`).join(', ')}`,
    );
}

/**
 * 2. Money (docs/rules.md#rule-5): a complete order has exactly one completed, unrefunded charge; a
 * cancelled one has no completed charge without a refund, and no charge whose outcome is still unknown.
 * After the quiet period no order is still unpaid and waiting.
 */
function checkOrdersSettled({ orders, charges }: Snapshot): string[] {
  const violations: string[] = [];
  const chargesByOrder = groupBy(charges, (charge) => charge.order_id);
  const orderIds = new Set(orders.map((order) => order.id));
  for (const order of orders) {
    const ofOrder = chargesByOrder.get(order.id) ?? [];
    const completed = ofOrder.filter((charge) => charge.status === ChargeStatus.Completed);
    const unsettled = ofOrder.filter((charge) => charge.status === ChargeStatus.Created);
    if (order.status === OrderStatus.Complete) {
      if (completed.length !== 1) {
        violations.push(`order ${order.id} complete with ${completed.length} completed charges ${ids(completed)}`);
      }
      for (const charge of completed.filter((candidate) => candidate.stripe_refund_id !== null)) {
        violations.push(`order ${order.id} complete but charge ${charge.id} was refunded (${charge.stripe_refund_id})`);
      }
    } else if (order.status === OrderStatus.Cancelled) {
      for (const charge of completed.filter((candidate) => candidate.stripe_refund_id === null)) {
        violations.push(`order ${order.id} cancelled, charge ${charge.id} completed and not refunded`);
      }
    } else {
      violations.push(`order ${order.id} still ${order.status} (expires at ${order.expires_at.toISOString()})`);
    }
    for (const charge of unsettled) {
      violations.push(`order ${order.id} ${order.status}, charge ${charge.id} still created (outcome unknown)`);
    }
  }
  for (const charge of charges.filter((candidate) => !orderIds.has(candidate.order_id))) {
    violations.push(`charge ${charge.id} (${charge.status}) for order ${charge.order_id}, which orders does not know`);
  }
  return violations;
}

/** 3. You pay what you saw: every charge's amount is its order's stored price (integer cents). */
function checkChargedPrice({ orders, charges }: Snapshot): string[] {
  const ordersById = new Map(orders.map((order) => [order.id, order]));
  const violations: string[] = [];
  for (const charge of charges) {
    const order = ordersById.get(charge.order_id);
    // A charge of an order orders does not know is invariant 2's violation.
    if (order === undefined || Number(order.price) === Number(charge.amount)) continue;
    violations.push(
      `charge ${charge.id} (${charge.status}) of ${charge.amount} cents, order ${order.id} priced ${order.price} cents`,
    );
  }
  return violations;
}

/**
 * 5. The tickets service mirrors the lock and the sale: for every ticket, `order_id` is the order that
 * holds it in orders (a live or complete one, or none), and it is sold exactly when that order is complete.
 */
function checkTicketsView({ orders, tickets }: Snapshot): string[] {
  const holderOf = new Map(
    orders.filter((order) => order.status !== OrderStatus.Cancelled).map((order) => [order.ticket_id, order]),
  );
  const ticketIds = new Set(tickets.map((ticket) => ticket.id));
  const violations: string[] = [];
  for (const ticket of tickets) {
    const holder = holderOf.get(ticket.id);
    const expectedOrderId = holder?.id ?? null;
    const expectedSold = holder?.status === OrderStatus.Complete;
    if (ticket.order_id === expectedOrderId && ticket.sold === expectedSold) continue;
    const truth = holder === undefined ? 'no order holds it' : `order ${holder.id} is ${holder.status}`;
    violations.push(
      `ticket ${ticket.id} shows order ${ticket.order_id ?? 'none'}${ticket.sold ? ', sold' : ''}; in orders ${truth}`,
    );
  }
  for (const [ticketId, holder] of holderOf) {
    if (!ticketIds.has(ticketId)) violations.push(`ticket ${ticketId} held by order ${holder.id}, unknown to tickets`);
  }
  return violations;
}

/**
 * 8. One physical ticket is never for sale twice: a bought ticket has at most one resale listing that is not
 * withdrawn. And a withdrawn ticket is held by no live or complete order in orders (a withdrawal cancels an
 * unpaid order; a paid one wins and the ticket is sold over the withdrawal).
 */
function checkResalesAndWithdrawals({ orders, tickets }: Snapshot): string[] {
  const violations: string[] = [];
  const listings = groupBy(
    tickets.filter((ticket) => ticket.resale_of && !ticket.withdrawn),
    (ticket) => ticket.resale_of ?? '',
  );
  for (const [bought, resales] of listings) {
    if (resales.length > 1) {
      violations.push(
        `bought ticket ${bought} listed again ${resales.length} times: ${resales.map((t) => t.id).join(', ')}`,
      );
    }
  }
  const held = new Map(
    orders.filter((order) => order.status !== OrderStatus.Cancelled).map((order) => [order.ticket_id, order]),
  );
  for (const ticket of tickets.filter((candidate) => candidate.withdrawn)) {
    const holder = held.get(ticket.id);
    if (holder) violations.push(`ticket ${ticket.id} is withdrawn, but order ${holder.id} is ${holder.status}`);
  }
  return violations;
}

/**
 * 9. The door can trust a code (docs/architecture.md, passes): each ticket as its issuer listed it has at most
 * one current code, and it belongs to the listing of the chain (the ticket and its resales) whose order was
 * paid last, first held by that order's buyer in orders and then only handed on by transfers; every paid order
 * is behind the pass of its chain (never a paid buyer without a pass); and no code was admitted at the door
 * unless it was current at that moment.
 */
function checkPasses({ orders, tickets }: Snapshot, { passes, codes, checkins }: PassSnapshot): string[] {
  const violations: string[] = [];
  const parentOf = new Map(tickets.map((ticket) => [ticket.id, ticket.resale_of ?? null]));
  const chainOf = (ticketId: string): { root: string; depth: number } => {
    let root = ticketId;
    let depth = 0;
    for (let parent = parentOf.get(root); parent; parent = parentOf.get(root)) {
      root = parent;
      depth += 1;
    }
    return { root, depth };
  };
  // The paid order of each chain's newest listing: who must be behind its pass.
  const lastPaid = new Map<string, { order: OrderRow; depth: number }>();
  for (const order of orders.filter((candidate) => candidate.status === OrderStatus.Complete)) {
    const { root, depth } = chainOf(order.ticket_id);
    const known = lastPaid.get(root);
    if (known === undefined || depth > known.depth) lastPaid.set(root, { order, depth });
  }
  const passOf = new Map(passes.map((pass) => [pass.ticket_id, pass]));
  const codesOf = groupBy(codes, (code) => code.ticket_id);
  for (const [root, { order }] of lastPaid) {
    const pass = passOf.get(root);
    if (pass === undefined) {
      violations.push(`ticket ${root}: order ${order.id} paid for ${order.ticket_id}, but no pass`);
      continue;
    }
    if (pass.held_ticket_id !== order.ticket_id) {
      violations.push(
        `ticket ${root}: pass came through ${pass.held_ticket_id}, the last paid listing is ${order.ticket_id}`,
      );
      continue;
    }
    const ofListing = (codesOf.get(root) ?? [])
      .filter((code) => code.held_ticket_id === order.ticket_id)
      .sort((a, b) => a.generation - b.generation);
    const first = ofListing[0];
    if (first === undefined || first.holder_id !== order.user_id) {
      violations.push(
        `ticket ${root}: the first code of listing ${order.ticket_id} went to ${first?.holder_id ?? 'nobody'}, orders' buyer is ${order.user_id}`,
      );
    }
    for (const code of ofListing.slice(1).filter((candidate) => candidate.generation <= pass.generation)) {
      const before = ofListing.find((candidate) => candidate.generation === code.generation - 1);
      if (before?.void_reason !== 'transferred') {
        violations.push(
          `ticket ${root}: code ${code.generation} of the same listing, but code ${code.generation - 1} was not transferred`,
        );
      }
    }
  }
  for (const pass of passes.filter((candidate) => !lastPaid.has(candidate.ticket_id))) {
    violations.push(`ticket ${pass.ticket_id}: pass held by ${pass.holder_id}, but no order of it is paid`);
  }
  for (const [root, ofTicket] of codesOf) {
    const current = ofTicket.filter((code) => code.voided_at === null);
    const pass = passOf.get(root);
    if (current.length > 1) {
      violations.push(
        `ticket ${root}: ${current.length} current codes (${current.map((code) => code.generation).join(', ')})`,
      );
    } else if (
      pass === undefined ||
      current[0]?.generation !== pass.generation ||
      current[0]?.holder_id !== pass.holder_id
    ) {
      violations.push(
        `ticket ${root}: the current code is ${current[0]?.generation ?? 'none'} of ${current[0]?.holder_id ?? 'nobody'}, the pass says ${pass?.generation ?? 'none'} of ${pass?.holder_id ?? 'nobody'}`,
      );
    }
  }
  for (const checkin of checkins) {
    const code = (codesOf.get(checkin.ticket_id) ?? []).find(
      (candidate) => candidate.generation === checkin.generation,
    );
    const admitted = checkin.admitted_at.getTime();
    if (code === undefined) {
      violations.push(`ticket ${checkin.ticket_id}: admitted code ${checkin.generation}, which was never issued`);
    } else if (
      code.issued_at.getTime() > admitted ||
      (code.voided_at !== null && code.voided_at.getTime() <= admitted)
    ) {
      violations.push(
        `ticket ${checkin.ticket_id}: code ${checkin.generation} admitted at ${checkin.admitted_at.toISOString()} while void (${code.void_reason ?? 'not yet issued'})`,
      );
    }
  }
  return violations;
}

/** 6. Payments' replica of every order has the owner's status and version. */
function checkPaymentsReplica({ orders, paymentsOrders }: Snapshot): string[] {
  const replicas = new Map(paymentsOrders.map((replica) => [replica.id, replica]));
  const orderIds = new Set(orders.map((order) => order.id));
  const violations: string[] = [];
  for (const order of orders) {
    const replica = replicas.get(order.id);
    if (replica === undefined) {
      violations.push(`order ${order.id} (${order.status} v${order.version}) missing from payments`);
    } else if (replica.status !== order.status || replica.version !== order.version) {
      violations.push(
        `order ${order.id}: orders ${order.status} v${order.version}, payments ${replica.status} v${replica.version}`,
      );
    }
  }
  for (const replica of paymentsOrders.filter((candidate) => !orderIds.has(candidate.id))) {
    violations.push(`payments holds order ${replica.id}, which orders does not know`);
  }
  return violations;
}

/**
 * 7. Only a poison message (a payload that fails its schema) may be dead-lettered: anything else there is
 * an event some service gave up on. A dead letter without a kind predates the bus's kinds and counts.
 */
function checkDeadLetters(deadLetters: readonly DeadLetter[]): string[] {
  return deadLetters
    .filter((deadLetter) => deadLetter.kind !== POISON_KIND)
    .map(
      (deadLetter) =>
        `${deadLetter.durable ?? deadLetter.keptOn} ${deadLetter.subject ?? '?'} seq ${deadLetter.streamSequence ?? '?'}` +
        ` event ${deadLetter.eventId ?? '?'}: ${deadLetter.kind ?? 'no kind'}, ${(deadLetter.reason ?? '').slice(0, 100)}`,
    );
}

interface OverdueRow {
  id: string;
  ticket_id: string;
  status: string;
  seconds_overdue: number;
}

/**
 * 4. Watches orders' truth every few seconds during the run: an unpaid order more than the sweep's grace,
 * one sweep interval and a few seconds past its `expiresAt` is a lock held too long, since the sweep is
 * the backstop that needs nothing but orders itself. A sample does not count while orders' process or
 * database is down, or within a recovery slack after it (a restarted orders sweeps after one interval).
 */
export class LockSampler {
  private readonly overdue = new Map<string, string>();
  private counted = 0;
  private skipped = 0;
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly toleranceSeconds: number;
  private readonly recoverySlackMs: number;

  constructor(
    private readonly databases: ServiceDatabases,
    private readonly availability: AvailabilityLog,
    timings: ServiceTimings,
    private readonly startedAt: number,
    private readonly intervalMs = 5_000,
  ) {
    this.toleranceSeconds = timings.sweepGraceSeconds + timings.sweepIntervalSeconds + 5;
    this.recoverySlackMs = (2 * timings.sweepIntervalSeconds + 10) * 1000;
  }

  start(): void {
    this.loop ??= (async () => {
      while (!this.stopped.signal.aborted) {
        await this.sample();
        await sleep(this.intervalMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.loop;
  }

  result(): InvariantResult {
    return {
      number: 4,
      title: INVARIANT_TITLES[4] ?? '',
      violations: [...this.overdue.values()],
      note: `${this.counted} samples counted, ${this.skipped} discounted (orders down or recovering)`,
    };
  }

  private async sample(): Promise<void> {
    const before = Date.now();
    let rows: OverdueRow[];
    try {
      rows = await this.databases.query<OverdueRow>(
        'orders',
        `SELECT id, ticket_id, status, EXTRACT(EPOCH FROM now() - expires_at)::int AS seconds_overdue
           FROM orders
          WHERE status = ANY($1) AND expires_at < now() - make_interval(secs => $2)`,
        [UNPAID, this.toleranceSeconds],
      );
    } catch {
      this.skipped += 1;
      return;
    }
    const after = Date.now();
    const disturbed = ['orders', 'database:orders'].some((part) =>
      this.availability.wasDown(part, before - this.recoverySlackMs, after),
    );
    if (disturbed) {
      this.skipped += 1;
      return;
    }
    this.counted += 1;
    for (const row of rows) {
      if (this.overdue.has(row.id)) continue;
      const at = formatElapsed(before - this.startedAt);
      this.overdue.set(
        row.id,
        `order ${row.id} (ticket ${row.ticket_id}) still ${row.status} ${row.seconds_overdue} s past expiresAt, at ${at}`,
      );
    }
  }
}

/** `+3:07` from milliseconds. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `+${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group === undefined) groups.set(key(item), [item]);
    else group.push(item);
  }
  return groups;
}

function ids(charges: readonly ChargeRow[]): string {
  return charges.length === 0 ? '' : `(${charges.map((charge) => charge.id).join(', ')})`;
}
