import { z } from 'zod';
import { emailAddressSchema } from '../email';

/** Status of an order, as the orders service owns it. */
export const OrderStatus = {
  /** Just created; the ticket is locked for this order. */
  Created: 'created',
  /** Cancelled by the buyer, expired, or payment declined; the ticket is unlocked. */
  Cancelled: 'cancelled',
  /** Paid. */
  Complete: 'complete',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** Status of a charge, as the payments service owns it. */
export const ChargeStatus = {
  Created: 'created',
  Failed: 'failed',
  Completed: 'completed',
} as const;
export type ChargeStatus = (typeof ChargeStatus)[keyof typeof ChargeStatus];

/** Why orders cancelled an order, as `order.cancelled` says. */
export const CancellationReason = {
  /** Its buyer cancelled it. */
  Buyer: 'buyer',
  /** Its time ran out unpaid: its timer fired, or orders' sweep of overdue orders found it. */
  Expired: 'expired',
  /** Its payment was declined. */
  Declined: 'declined',
  /** Its seller withdrew the ticket. */
  Withdrawn: 'withdrawn',
} as const;
export type CancellationReason = (typeof CancellationReason)[keyof typeof CancellationReason];

const id = z.uuid();
/** Every entity starts at version 0 and gains one per change; replicas apply N only on N−1. */
const version = z.number().int().min(0);
/** Money is integer cents inside the system. */
const cents = z.number().int().positive();

/**
 * A user as auth publishes it, on creation and on every change. The email follows the one rule auth's routes
 * check too (`isValidEmailAddress`), so no address a route accepted can fail here.
 */
const user = z.object({ id, email: emailAddressSchema, version });
/**
 * A ticket as the tickets service publishes it; `orderId` is the order holding the lock, if any. `venue` and
 * `startsAt` (ISO 8601 with the seller's offset) are null when the seller gave none, and absent from events
 * stored before tickets had them: orders reads `startsAt` to refuse a ticket whose event has started.
 * `timeZone` is the venue's IANA zone (`Europe/Paris`), null when the seller named none, absent from events
 * stored before tickets had it; `startsAt` is then at that zone's offset.
 * `withdrawn: true` once its seller took it off sale, for good; absent (older events, and every ticket still
 * listed) means listed.
 */
const ticket = z.object({
  id,
  title: z.string().min(1),
  price: cents,
  userId: id,
  orderId: id.nullable(),
  withdrawn: z.boolean().optional(),
  venue: z.string().min(1).nullable().optional(),
  startsAt: z.iso.datetime({ offset: true }).nullable().optional(),
  timeZone: z.string().min(1).nullable().optional(),
  version,
});
/**
 * A status an early catalog listed for an unpaid order whose payment was under way. No order was ever given
 * it, but a payload carrying it still parses: as what it meant, an unpaid live order (`created`).
 */
const LEGACY_AWAITING_PAYMENT = 'awaiting:payment';

/**
 * An order's whole state as orders holds it: `ticket.price` is the price the order was reserved at (what
 * the buyer is charged). `ticket.startsAt` is when the ticket's event starts (ISO 8601), null when its
 * seller gave no start, and absent from events stored before orders carried it: payments refuses to take
 * money from then on. It cannot change while the order is live (a seller edits only a ticket nobody holds).
 */
const orderState = z.object({
  id,
  userId: id,
  status: z
    .enum([...Object.values(OrderStatus), LEGACY_AWAITING_PAYMENT])
    .transform((status): OrderStatus => (status === LEGACY_AWAITING_PAYMENT ? OrderStatus.Created : status)),
  expiresAt: z.iso.datetime({ offset: true }),
  ticket: z.object({ id, price: cents, startsAt: z.iso.datetime({ offset: true }).nullable().optional() }),
  version,
});

/**
 * The event catalog: every subject the system publishes, mapped to the runtime schema of its payload.
 * Subjects are past-tense facts. Publishers and listeners are typed from this map, so a subject cannot
 * be paired with the wrong payload, and a listener rejects a payload that does not match.
 */
export const eventSchemas = {
  'user.created': user,
  'user.updated': user,
  'ticket.created': ticket,
  'ticket.updated': ticket,
  'order.created': orderState,
  /**
   * The order was cancelled (by its buyer, on expiry, on a declined payment, by the sweep, or because its
   * seller withdrew the ticket). `handedOverTo` is the order of the first eligible buyer in the ticket's
   * waiting list, placed in the same transaction: tickets moves its lock from this order to that one in one
   * step, so the ticket is never free (nor editable, nor withdrawable) in between. Absent when nobody was
   * handed it, and from events published before hand-overs were announced. `reason` says why (absent from
   * events published before it was said): expiration asks Redis nothing about the timer of an order that
   * expired, since that timer has fired, or will fire for an order no longer waiting.
   */
  'order.cancelled': z.object({
    id,
    ticket: z.object({ id }),
    version,
    handedOverTo: z.object({ id }).optional(),
    reason: z.enum(Object.values(CancellationReason) as [CancellationReason, ...CancellationReason[]]).optional(),
  }),
  /**
   * The order was paid: its ticket is sold for good (tickets shows it as sold, and owned by `userId`, who
   * paid `ticket.price`). Both are absent from events published before resale existed.
   */
  'order.completed': z.object({
    id,
    userId: id.optional(),
    ticket: z.object({ id, price: cents.optional() }),
    version,
  }),
  'order.expired': z.object({ orderId: id }),
  /**
   * A pass's code was issued to a new holder (tickets): the buyer of a paid sale (`bought`) or resale
   * (`resold`), or the account its holder handed it on to (`transferred`). `ticket.id` is the ticket as its
   * issuer listed it, which the code names; `heldTicketId` the listing the holder's pass came through (the ticket
   * itself or its paid resale). Every code of a lower generation is void from this commit on; the previous
   * holder (null for the first) no longer holds it.
   */
  'pass.issued': z.object({
    ticket: z.object({ id }),
    heldTicketId: id,
    holderId: id,
    previousHolderId: id.nullable(),
    generation: z.number().int().min(1),
    reason: z.enum(['bought', 'resold', 'transferred']),
  }),
  /**
   * A backstop, not a change: orders restates an order's current state a while after it last changed, so
   * that a replica which missed or dead-lettered one of its events converges anyway (docs/rules.md#rule-7).
   * Listeners apply it as a state transfer: the whole state at `version`, over whatever they hold below it.
   */
  'order.restated': orderState,
  'charge.created': z.object({
    id,
    orderId: id,
    status: z.enum(Object.values(ChargeStatus) as [ChargeStatus, ...ChargeStatus[]]),
    amount: cents,
    stripeId: z.string().min(1),
  }),
} as const;

export type Subject = keyof typeof eventSchemas;
export const subjects = Object.keys(eventSchemas) as Subject[];

/** The payload type of one subject. */
export type EventData<S extends Subject> = z.output<(typeof eventSchemas)[S]>;

/**
 * What travels on the bus: the payload wrapped with the event's identity. `id` is unique per event and
 * is the JetStream `msgID` (duplicate publishes are dropped) and the inbox key (duplicate deliveries change
 * nothing).
 */
export interface EventEnvelope<S extends Subject = Subject> {
  id: string;
  subject: S;
  occurredAt: string;
  data: EventData<S>;
}

const envelopeSchema = z.object({
  id,
  subject: z.enum(subjects as [Subject, ...Subject[]]),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.unknown(),
});

/** Why an incoming message was rejected: it can never be processed, so it must not be retried. */
export class MalformedEventError extends Error {
  constructor(readonly reason: string) {
    super(`Malformed event: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/**
 * Checks raw JSON from the wire against the envelope and the catalog schema of `expected`.
 * Throws {@link MalformedEventError} for anything else.
 */
export function parseEnvelope<S extends Subject>(expected: S, raw: unknown): EventEnvelope<S> {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) throw new MalformedEventError(z.prettifyError(envelope.error));
  if (envelope.data.subject !== expected) {
    throw new MalformedEventError(`expected subject ${expected}, got ${envelope.data.subject}`);
  }
  const data = eventSchemas[expected].safeParse(envelope.data.data);
  if (!data.success) throw new MalformedEventError(z.prettifyError(data.error));
  return { ...envelope.data, subject: expected, data: data.data as EventData<S> };
}
