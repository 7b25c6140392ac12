/**
 * The purchase flows: what the harness's users do while faults happen. Every flow is a small story with its
 * own users (signed up for it, each with their own session), told through the gateway only: list a ticket,
 * maybe edit its price, buy it, pay with a good or a declined card, cancel, or walk away and let the
 * reservation expire while someone else waits for the ticket (trying again, or in its waiting list); resell a
 * bought ticket; withdraw a listing while someone buys it; take a pass to the door (two doors scanning it at once,
 * a transfer racing the door, a resold pass scanned after its resale). A flow never checks consistency itself (the
 * invariants do, from the databases, once everything is quiet); it records how far it got and why it stopped.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Order, Ticket } from '@ticketing/common/api';

/** A pass as its holder fetches it (`GET /api/tickets/:id/pass`): only what the flows use. */
interface Pass {
  ticketId: string;
  code: string;
  generation: number;
}
import { describeReply, GaveUp, persist, UserSession, type HttpTally, type Reply } from './http-client';
import type { SeededRandom } from './random';

/** The stories, and how often each is told (weights). */
export const FLOW_WEIGHTS = {
  /** List (sometimes edit the price first), buy, pay with a good card. */
  pay: 30,
  /** Pay with a declined card, try again at once, then order anew and pay with a good card. */
  decline: 14,
  /** Buy, then cancel; a second buyer takes the ticket and pays. */
  cancel: 12,
  /** Buy and walk away; a second buyer waits for the reservation to run out, then buys and pays. */
  expire: 14,
  /** Three buyers order the same ticket at once; the one who gets it pays. */
  race: 10,
  /** The seller changes the price while the buyer orders at the version they saw; the buyer pays. */
  'price-race': 12,
  /** The buyer pays and cancels at the same moment (two tabs). */
  'pay-cancel-race': 8,
  /** Buy and walk away; a second buyer joins the waiting list and is handed the ticket when it runs out, then pays. */
  waitlist: 10,
  /** Buy and pay; the buyer lists it again under the cap; a third user buys the resale and pays. */
  resale: 8,
  /** The seller withdraws the listing while a buyer orders it; whoever wins, the buyer pays for what they got. */
  'withdraw-race': 8,
  /** Buy and pay; the seller's two doors scan the buyer's pass at the same moment, then one scan is retried. */
  door: 6,
  /** Buy and pay; the holder hands the pass to a friend while the seller's door scans it; the friend goes in. */
  'transfer-race': 6,
  /** Buy, pay and resell; a transfer while listed is refused; a third user buys the resale; the old pass is scanned. */
  'resold-pass': 5,
} as const;

export type FlowKind = keyof typeof FLOW_WEIGHTS;

/** One flow to run: decided up front from the seed, so the same seed tells the same stories. */
export interface FlowPlan {
  index: number;
  kind: FlowKind;
  /** When it starts, from the start of the run. */
  startAtMs: number;
  /** The listing price, in cents (from $5 to $500). */
  priceCents: number;
  /** A second price: the edit before buying (`pay`, some of them) or during it (`price-race`). */
  newPriceCents?: number;
  /** `decline`: the immediate second attempt uses the declined card again (else a good card). */
  retryWithDeclinedCard: boolean;
}

/** How a flow ended. */
export interface FlowResult {
  plan: FlowPlan;
  /** In a few words, the same for flows that ended alike: `paid`, `declined, retry 409, then paid`, `gave up: pay (503)`. */
  outcome: string;
  /** The answer behind it, for a flow that gave up or met an unexpected answer. */
  detail?: string;
  /** The flow met an answer no user should ever see (not a fault's 5xx: a 400 for valid input, say). */
  unexpected: boolean;
  durationMs: number;
}

/** Spreads `count` flows over `spreadMs`, each with its story and prices drawn from `random`. */
export function planFlows(random: SeededRandom, count: number, spreadMs: number): FlowPlan[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = random.weighted(FLOW_WEIGHTS);
    const priceCents = random.integer(500, 50_000);
    const edits = kind === 'price-race' || (kind === 'pay' && random.chance(0.4));
    return {
      index,
      kind,
      startAtMs: Math.round(((index + random.next()) / count) * spreadMs),
      priceCents,
      newPriceCents: edits ? random.integer(500, 50_000) : undefined,
      retryWithDeclinedCard: random.chance(0.5),
    };
  });
}

/** What every flow needs to reach the stack and to know its timing. */
export interface FlowEnvironment {
  /** The gateway. */
  baseUrl: string;
  tally: HttpTally;
  /** The reservation window (ORDER_EXPIRATION_SECONDS), and how long past it the sweep may take. */
  reservationMs: number;
  releaseSlackMs: number;
  /** How long a user keeps retrying one step before giving up. */
  patienceMs: number;
  /** Aborted when the run is over: every flow stops where it is. */
  signal: AbortSignal;
}

/** A flow met an answer it has no story for; the flow ends and the report shows the answer. */
class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';

  constructor(step: string, reply: Reply) {
    super(`${step}: ${describeReply(reply)}`);
  }
}

const PASSWORD = 'correct horse battery staple';
const GOOD_CARD = 'pm_card_visa';
const DECLINED_CARD = 'pm_card_chargeDeclined';

/** Runs one flow to its end and says how it ended; never rejects. */
export async function runFlow(plan: FlowPlan, environment: FlowEnvironment): Promise<FlowResult> {
  const started = Date.now();
  const users = new Users(plan, environment);
  const ended = (outcome: string, detail?: string, unexpected = false): FlowResult => ({
    plan,
    outcome,
    detail,
    unexpected,
    durationMs: Date.now() - started,
  });
  try {
    return ended(await STORIES[plan.kind](plan, users, environment));
  } catch (error) {
    if (error instanceof GaveUp) {
      const lastStatus = error.lastReply?.status;
      const answer = lastStatus === undefined ? '' : ` (${lastStatus === 0 ? 'no answer' : lastStatus})`;
      return ended(`gave up: ${error.step}${answer}`, error.lastReply && describeReply(error.lastReply));
    }
    if (error instanceof UnexpectedAnswer) return ended('stopped at an unexpected answer', error.message, true);
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return ended('stopped by an error in the harness', detail, true);
  }
}

type Story = (plan: FlowPlan, users: Users, environment: FlowEnvironment) => Promise<string>;

const STORIES: Record<FlowKind, Story> = {
  async pay(plan, users) {
    const seller = await users.signUp('seller');
    let ticket = await seller.list(plan.priceCents);
    if (plan.newPriceCents !== undefined) ticket = (await seller.editPrice(ticket, plan.newPriceCents)) ?? ticket;
    const buyer = await users.signUp('buyer');
    const order = await buyer.buy(ticket);
    if (order === undefined) return 'ticket taken by someone else';
    return describePayment(await buyer.pay(order, GOOD_CARD));
  },

  async decline(plan, users, environment) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const buyer = await users.signUp('buyer');
    const order = await buyer.buy(ticket);
    if (order === undefined) return 'ticket taken by someone else';
    const declined = await buyer.pay(order, DECLINED_CARD);
    if (declined.status !== 402) return `declined card answered ${describePayment(declined)}`;
    // The user presses "pay" again at once, with the same card or another one: a declined order refuses any further attempt (409).
    const again = await buyer.pay(order, plan.retryWithDeclinedCard ? DECLINED_CARD : GOOD_CARD);
    // Then they order the ticket anew (the declined order was cancelled) and pay with a good card.
    const second = await buyer.buyWhenFree(ticket, environment.patienceMs);
    if (second === undefined) return `declined, retry ${again.status}, then the ticket stayed reserved`;
    return `declined, retry ${again.status}, then ${describePayment(await buyer.pay(second, GOOD_CARD))}`;
  },

  async cancel(plan, users, environment) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const first = await users.signUp('buyer');
    const order = await first.buy(ticket);
    if (order === undefined) return 'ticket taken by someone else';
    const cancelled = await first.cancel(order);
    const second = await users.signUp('buyer');
    const next = await second.buyWhenFree(ticket, environment.patienceMs);
    if (next === undefined) return `cancel ${cancelled.status}, then the ticket stayed reserved`;
    return `cancel ${cancelled.status}, then ${describePayment(await second.pay(next, GOOD_CARD))}`;
  },

  async expire(plan, users, environment) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const first = await users.signUp('buyer');
    if ((await first.buy(ticket)) === undefined) return 'ticket taken by someone else';
    // The first buyer walks away; the second one keeps trying until the reservation has run out.
    const second = await users.signUp('buyer');
    const waitMs = environment.reservationMs + environment.releaseSlackMs + environment.patienceMs;
    const next = await second.buyWhenFree(ticket, waitMs);
    if (next === undefined) return 'expiry awaited, but the ticket stayed reserved';
    return `expired, then ${describePayment(await second.pay(next, GOOD_CARD))}`;
  },

  async race(plan, users) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const buyers = await Promise.all([users.signUp('buyer'), users.signUp('buyer'), users.signUp('buyer')]);
    const orders = await Promise.all(buyers.map((buyer) => buyer.buy(ticket)));
    const winners = buyers.filter((_, index) => orders[index] !== undefined);
    const winner = winners[0];
    const order = orders.find((candidate) => candidate !== undefined);
    if (winner === undefined || order === undefined) return 'no buyer got the ticket';
    const payment = describePayment(await winner.pay(order, GOOD_CARD));
    return `${winners.length} of 3 got an order, then ${payment}`;
  },

  async 'price-race'(plan, users) {
    const seller = await users.signUp('seller');
    const listed = await seller.list(plan.priceCents);
    const buyer = await users.signUp('buyer');
    const seen = await buyer.show(listed);
    // The seller edits while the buyer orders what they saw: they pay the price they saw, or are told it moved.
    const [, ordered] = await Promise.all([
      seller.editPrice(seen, plan.newPriceCents ?? plan.priceCents + 100),
      buyer.buy(seen, { atVersion: true }),
    ]);
    let order = ordered;
    if (order === undefined) {
      const current = await buyer.show(listed);
      order = await buyer.buy(current, { atVersion: true });
      if (order === undefined) return 'ticket moved twice, or taken';
    }
    return describePayment(await buyer.pay(order, GOOD_CARD));
  },

  async waitlist(plan, users, environment) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const first = await users.signUp('buyer');
    if ((await first.buy(ticket)) === undefined) return 'ticket taken by someone else';
    // The first buyer walks away; the second joins the line and waits to be handed the ticket.
    const second = await users.signUp('buyer');
    const joined = await second.joinWaitingList(ticket);
    if (joined.status === 409) {
      // Released before the join (the reservation ran out, or a fault's restart delayed the join): buy it.
      const order = await second.buyWhenFree(ticket, environment.patienceMs);
      if (order === undefined) return `join 409, then the ticket stayed reserved`;
      return `released before the join, then ${describePayment(await second.pay(order, GOOD_CARD))}`;
    }
    const waitMs = environment.reservationMs + environment.releaseSlackMs + environment.patienceMs;
    const handedOver = await second.waitForOrderOf(ticket, waitMs);
    if (handedOver === undefined) return 'in line, but never handed the ticket';
    return `handed over, then ${describePayment(await second.pay(handedOver, GOOD_CARD))}`;
  },

  async resale(plan, users) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const owner = await users.signUp('buyer');
    const order = await owner.buy(ticket);
    if (order === undefined) return 'ticket taken by someone else';
    const payment = await owner.pay(order, GOOD_CARD);
    if (payment.status !== 201) return `first sale ${describePayment(payment)}`;
    // At the cap exactly: the price the order was placed at (RESALE_PRICE_CAP is 1 by default).
    const resale = await owner.resell(ticket, Math.round(order.ticket.price * 100));
    if (resale === undefined) return 'paid, but never owned the ticket';
    const next = await users.signUp('buyer');
    const second = await next.buy(resale);
    if (second === undefined) return 'resale taken by someone else';
    return `resold, then ${describePayment(await next.pay(second, GOOD_CARD))}`;
  },

  async 'withdraw-race'(plan, users) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const buyer = await users.signUp('buyer');
    // Orders learns of the listing from an event: the buyer waits until it can be bought, as a page shows it.
    await buyer.waitUntilOrderable(ticket);
    const [withdrawal, order] = await Promise.all([seller.withdraw(ticket), buyer.buy(ticket)]);
    if (order === undefined) return `withdraw ${withdrawal.status}, buy refused`;
    return `withdraw ${withdrawal.status}, buy 201, then ${describePayment(await buyer.pay(order, GOOD_CARD))}`;
  },

  async door(plan, users) {
    const { seller, pass, outcome } = await buyAndHold(plan, users);
    if (pass === undefined) return outcome ?? 'paid, but no pass';
    const nonces = [randomUUID(), randomUUID()];
    const scans = await Promise.all(nonces.map((nonce) => seller.scan(pass.code, nonce)));
    const admitted = scans.filter((scan) => scan.status === 201).length;
    if (admitted !== 1) throw new UnexpectedAnswer(`two doors admitted ${admitted} times`, scans[0]!);
    const winner = scans.findIndex((scan) => scan.status === 201);
    const retried = await seller.scan(pass.code, nonces[winner]!);
    if (retried.status !== 201) throw new UnexpectedAnswer('the admitting scan retried', retried);
    return `two doors: ${scans.map(describeScan).sort().join(' and ')}, retry 201`;
  },

  async 'transfer-race'(plan, users) {
    const { seller, holder, ticket, pass, outcome } = await buyAndHold(plan, users);
    if (pass === undefined) return outcome ?? 'paid, but no pass';
    const friend = await users.signUp('friend');
    const [transfer, scan] = await Promise.all([holder.transfer(ticket, friend), seller.scan(pass.code, randomUUID())]);
    if (transfer.status === 200 && scan.status === 201) {
      throw new UnexpectedAnswer('the door admitted a pass its holder handed on at the same moment', transfer);
    }
    if (transfer.status !== 200) return `transfer ${transfer.status}, door ${describeScan(scan)}`;
    const handed = await friend.passOf(ticket);
    if (handed === undefined) return `transfer 200, door ${describeScan(scan)}, but the friend has no pass`;
    const entry = await seller.scan(handed.code, randomUUID());
    return `transfer 200, door ${describeScan(scan)}, the friend's pass ${describeScan(entry)}`;
  },

  async 'resold-pass'(plan, users) {
    const { seller, holder, ticket, pass, outcome } = await buyAndHold(plan, users);
    if (pass === undefined) return outcome ?? 'paid, but no pass';
    const resale = await holder.resell(ticket, plan.priceCents);
    if (resale === undefined) return 'paid, but never owned the ticket';
    const friend = await users.signUp('friend');
    const whileListed = await holder.transfer(ticket, friend);
    if (whileListed.status !== 409) throw new UnexpectedAnswer('a transfer while listed for resale', whileListed);
    const next = await users.signUp('buyer');
    const order = await next.buy(resale);
    if (order === undefined) return 'resale taken by someone else';
    const payment = await next.pay(order, GOOD_CARD);
    if (payment.status !== 201) return `resale ${describePayment(payment)}`;
    const resold = await next.passOf(resale);
    if (resold === undefined) return 'resale paid, but no pass';
    const old = await seller.scan(pass.code, randomUUID());
    const current = await seller.scan(resold.code, randomUUID());
    if (old.status === 201) throw new UnexpectedAnswer('the door admitted the pass of a resold ticket', old);
    return `resold, old pass ${describeScan(old)}, new pass ${describeScan(current)}`;
  },

  async 'pay-cancel-race'(plan, users) {
    const seller = await users.signUp('seller');
    const ticket = await seller.list(plan.priceCents);
    const buyer = await users.signUp('buyer');
    const order = await buyer.buy(ticket);
    if (order === undefined) return 'ticket taken by someone else';
    await buyer.waitUntilPayable(order);
    const [payment, cancel] = await Promise.all([buyer.pay(order, GOOD_CARD), buyer.cancel(order)]);
    return `pay ${payment.status} and cancel ${cancel.status} at once`;
  },
};

/** Pays, then fetches the pass tickets issues once it learns of the sale. */
async function buyAndHold(
  plan: FlowPlan,
  users: Users,
): Promise<{ seller: User; holder: User; ticket: Ticket; pass?: Pass; outcome?: string }> {
  const seller = await users.signUp('seller');
  const ticket = await seller.list(plan.priceCents);
  const holder = await users.signUp('buyer');
  const order = await holder.buy(ticket);
  if (order === undefined) return { seller, holder, ticket, outcome: 'ticket taken by someone else' };
  const payment = await holder.pay(order, GOOD_CARD);
  if (payment.status !== 201) return { seller, holder, ticket, outcome: `first sale ${describePayment(payment)}` };
  return { seller, holder, ticket, pass: await holder.passOf(ticket) };
}

function describeScan(reply: Reply): string {
  const result = (reply.body as { result?: string } | undefined)?.result;
  return `${reply.status}${result ? ` ${result}` : ''}`;
}

function describePayment(reply: Reply): string {
  switch (reply.status) {
    case 201:
      return 'paid';
    case 402:
      return 'declined';
    case 409:
      return 'payment refused (409)';
    default:
      return `payment answered ${reply.status}`;
  }
}

/** The flow's cast: signs users up with addresses nobody else uses. */
class Users {
  private count = 0;
  private readonly tag = randomBytes(3).toString('hex');

  constructor(
    private readonly plan: FlowPlan,
    private readonly environment: FlowEnvironment,
  ) {}

  /**
   * A new user, signed up and holding their session. When a sign-up answered nothing but did create the
   * account, the next attempt says the email is taken (409): the user then signs in, as anyone would.
   */
  async signUp(role: string): Promise<User> {
    this.count += 1;
    const email = `${role}-${this.plan.index}-${this.count}-${this.tag}@chaos.example`;
    const session = new UserSession(this.environment.baseUrl, this.environment.tally, email);
    const user = new User(session, this.environment);
    const signedUp = await user.persist('sign up', () => session.send('POST', '/api/users/signup', credentials()));
    if (signedUp.status === 201) return user;
    if (signedUp.status !== 409) throw new UnexpectedAnswer('sign up', signedUp);
    const signedIn = await user.persist('sign in', () => session.send('POST', '/api/users/signin', credentials()));
    if (signedIn.status !== 200) throw new UnexpectedAnswer('sign in', signedIn);
    return user;

    function credentials(): { email: string; password: string } {
      return { email, password: PASSWORD };
    }
  }
}

/** One signed-in user and the few things a user of the site does. */
class User {
  constructor(
    private readonly session: UserSession,
    private readonly environment: FlowEnvironment,
  ) {}

  /** Retries through the faults with this user's patience. */
  persist<Body>(step: string, send: () => Promise<Reply<Body>>, retryWhile?: (reply: Reply<Body>) => boolean) {
    const { patienceMs, signal } = this.environment;
    return persist(send, { step, patienceMs, signal, retryWhile });
  }

  /**
   * Lists a ticket. A listing whose answer was lost may exist already; listing again makes a second one,
   * which nobody buys and which the invariants find consistent all the same.
   */
  async list(priceCents: number): Promise<Ticket> {
    const body = { title: `Chaos concert ${randomBytes(2).toString('hex')}`, price: priceCents / 100 };
    const reply = await this.persist('list', () => this.session.send<Ticket>('POST', '/api/tickets', body));
    if (reply.status !== 201) throw new UnexpectedAnswer('list', reply);
    return reply.body;
  }

  /** Changes the price; undefined when the ticket is reserved meanwhile (409), which a seller may meet. */
  async editPrice(ticket: Ticket, priceCents: number): Promise<Ticket | undefined> {
    const body = { title: ticket.title, price: priceCents / 100 };
    const reply = await this.persist('edit price', () =>
      this.session.send<Ticket>('PUT', `/api/tickets/${ticket.id}`, body),
    );
    if (reply.status === 200) return reply.body;
    if (reply.status === 409) return undefined;
    throw new UnexpectedAnswer('edit price', reply);
  }

  /** The ticket as the buyer's page shows it. */
  async show(ticket: Ticket): Promise<Ticket> {
    const reply = await this.persist('show ticket', () =>
      this.session.send<Ticket>('GET', `/api/tickets/${ticket.id}`),
    );
    if (reply.status !== 200) throw new UnexpectedAnswer('show ticket', reply);
    return reply.body;
  }

  /**
   * Orders a ticket; undefined when it is reserved by someone else or moved past the version seen (409).
   * Orders learns of a new ticket from an event, so a 404 at first means "not yet" and is retried. A 409
   * after an attempt that got no answer may be this user's own order: they look in "my orders", as the
   * site would show it.
   */
  async buy(ticket: Ticket, options: { atVersion?: boolean } = {}): Promise<Order | undefined> {
    const body = options.atVersion ? { ticketId: ticket.id, ticketVersion: ticket.version } : { ticketId: ticket.id };
    let lostAnswer = false;
    const reply = await this.persist(
      'buy',
      async () => {
        const attempt = await this.session.send<Order>('POST', '/api/orders', body);
        if (attempt.status === 0) lostAnswer = true;
        return attempt;
      },
      (attempt) => attempt.status === 404,
    );
    if (reply.status === 201) return reply.body;
    if (reply.status !== 409) throw new UnexpectedAnswer('buy', reply);
    return lostAnswer ? this.findLiveOrder(ticket) : undefined;
  }

  /** Orders the ticket once it is free again (a cancelled or expired reservation), trying every 2 s. */
  async buyWhenFree(ticket: Ticket, waitMs: number): Promise<Order | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const order = await this.buy(ticket);
      if (order !== undefined || Date.now() > deadline || this.environment.signal.aborted) return order;
      await sleep(2_000, undefined, { signal: this.environment.signal }).catch(() => undefined);
    }
  }

  /** Waits until payments knows the order (its list of charges stops answering 404). */
  async waitUntilPayable(order: Order): Promise<void> {
    await this.persist(
      'wait for payments',
      () => this.session.send('GET', `/api/payments?orderId=${order.id}`),
      (reply) => reply.status === 404,
    );
  }

  /**
   * Pays; resolves to the answer that settled it: 201 paid, 402 declined, 409 refused (cancelled, expired,
   * paid already, or an attempt in flight). Payments learns of an order from an event and waits for it up to
   * 2 s, then answers 503 (retried like any fault); a 404 would mean "not yet" too.
   */
  async pay(order: Order, paymentMethodId: string): Promise<Reply> {
    const body = { orderId: order.id, paymentMethodId };
    const reply = await this.persist(
      'pay',
      () => this.session.send('POST', '/api/payments', body),
      (attempt) => attempt.status === 404,
    );
    if ([201, 402, 409].includes(reply.status)) return reply;
    throw new UnexpectedAnswer('pay', reply);
  }

  /** Cancels; 204, or 409 once the order is complete. */
  async cancel(order: Order): Promise<Reply> {
    const reply = await this.persist('cancel', () => this.session.send('DELETE', `/api/orders/${order.id}`));
    if (reply.status === 204 || reply.status === 409) return reply;
    throw new UnexpectedAnswer('cancel', reply);
  }

  /** Joins the ticket's waiting list: 201, or 409 when the ticket is no longer reserved (or is sold). */
  async joinWaitingList(ticket: Ticket): Promise<Reply> {
    const reply = await this.persist(
      'join the waiting list',
      () => this.session.send('POST', '/api/orders/waitlist', { ticketId: ticket.id }),
      (attempt) => attempt.status === 404,
    );
    if (reply.status === 201 || reply.status === 409) return reply;
    throw new UnexpectedAnswer('join the waiting list', reply);
  }

  /** Waits, looking at "my orders" every 2 s, until an open order of the ticket is there (a hand-over). */
  async waitForOrderOf(ticket: Ticket, waitMs: number): Promise<Order | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const order = await this.findLiveOrder(ticket);
      if (order !== undefined || Date.now() > deadline || this.environment.signal.aborted) return order;
      await sleep(2_000, undefined, { signal: this.environment.signal }).catch(() => undefined);
    }
  }

  /**
   * Lists a bought ticket again at `priceCents`; undefined when it never becomes theirs. Tickets learns of the
   * sale from an event, so "you do not own this ticket" (403) at first means "not yet" and is retried.
   */
  async resell(ticket: Ticket, priceCents: number): Promise<Ticket | undefined> {
    const reply = await this.persist(
      'resell',
      () => this.session.send<Ticket>('POST', `/api/tickets/${ticket.id}/resale`, { price: priceCents / 100 }),
      (attempt) => attempt.status === 403,
    );
    if (reply.status === 201) return reply.body;
    if (reply.status === 403) return undefined;
    throw new UnexpectedAnswer('resell', reply);
  }

  /** Withdraws one's listing: 204, or 409 when an order holds it by then. */
  async withdraw(ticket: Ticket): Promise<Reply> {
    const reply = await this.persist('withdraw', () => this.session.send('DELETE', `/api/tickets/${ticket.id}`));
    if (reply.status === 204 || reply.status === 409) return reply;
    throw new UnexpectedAnswer('withdraw', reply);
  }

  /** Waits until orders knows the ticket (its waiting list answers "for sale" instead of 404). */
  async waitUntilOrderable(ticket: Ticket): Promise<void> {
    await this.persist(
      'wait for orders',
      () => this.session.send('POST', '/api/orders/waitlist', { ticketId: ticket.id }),
      (reply) => reply.status === 404,
    );
  }

  /**
   * The pass of a ticket this user bought (or was handed); undefined when it never becomes theirs. Tickets
   * issues it once it learns of the sale from an event, so a 404 at first means "not yet" and is retried.
   */
  async passOf(ticket: Ticket): Promise<Pass | undefined> {
    const reply = await this.persist(
      'fetch the pass',
      () => this.session.send<Pass>('GET', `/api/tickets/${ticket.id}/pass`),
      (attempt) => attempt.status === 404,
    );
    if (reply.status === 200) return reply.body;
    if (reply.status === 404) return undefined;
    throw new UnexpectedAnswer('fetch the pass', reply);
  }

  /**
   * Hands the ticket on to another user: 200, or 409 (listed for resale, admitted, started). Tickets learns of
   * a new account from an event, so "no account with that email" (404) at first means "not yet" and is retried.
   */
  async transfer(ticket: Ticket, to: User): Promise<Reply> {
    const reply = await this.persist(
      'transfer',
      () => this.session.send('POST', `/api/tickets/${ticket.id}/transfer`, { email: to.email }),
      (attempt) => attempt.status === 404,
    );
    if (reply.status === 200 || reply.status === 409) return reply;
    throw new UnexpectedAnswer('transfer', reply);
  }

  /** Scans a code at this issuer's door: 201 admitted, or 409 with the reason (already admitted, void, …). */
  async scan(code: string, nonce: string): Promise<Reply> {
    const reply = await this.persist('scan at the door', () =>
      this.session.send('POST', '/api/checkins', { code, nonce, scannedAt: new Date().toISOString() }),
    );
    if (reply.status === 201 || reply.status === 409) return reply;
    throw new UnexpectedAnswer('scan at the door', reply);
  }

  get email(): string {
    return this.session.email;
  }

  private async findLiveOrder(ticket: Ticket): Promise<Order | undefined> {
    const reply = await this.persist('list my orders', () => this.session.send<Order[]>('GET', '/api/orders'));
    if (reply.status !== 200) throw new UnexpectedAnswer('list my orders', reply);
    return reply.body.find((order) => order.ticket.id === ticket.id && order.status === 'created');
  }
}

export interface FlowSchedule {
  /** The moment the run started: plans' `startAtMs` count from here. */
  startedAt: number;
  /** At most this many flows at once; a flow whose time came waits for a free place. */
  concurrency: number;
  /** Stops starting new flows (the chaos phase is over); those already started go on. */
  stopStarting: AbortSignal;
  /** Called as each flow ends. */
  onResult?: (result: FlowResult) => void;
}

/**
 * Starts each planned flow at its time (or as soon as a place is free), and resolves once every started
 * flow has ended. Flows whose time had not come when `stopStarting` fired are not run.
 */
export async function runFlows(
  plans: readonly FlowPlan[],
  environment: FlowEnvironment,
  schedule: FlowSchedule,
): Promise<{ results: FlowResult[]; notStarted: number }> {
  const results: FlowResult[] = [];
  const running = new Set<Promise<void>>();
  let started = 0;
  const stopped = aborted(schedule.stopStarting);
  for (const plan of plans) {
    const waitMs = schedule.startedAt + plan.startAtMs - Date.now();
    if (waitMs > 0) await sleep(waitMs, undefined, { signal: schedule.stopStarting }).catch(() => undefined);
    while (running.size >= schedule.concurrency && !schedule.stopStarting.aborted) {
      await Promise.race([...running, stopped]);
    }
    if (schedule.stopStarting.aborted) break;
    started += 1;
    const flow = runFlow(plan, environment).then((result) => {
      results.push(result);
      schedule.onResult?.(result);
      running.delete(flow);
    });
    running.add(flow);
  }
  await Promise.all(running);
  return { results: results.sort((a, b) => a.plan.index - b.plan.index), notStarted: plans.length - started };
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
