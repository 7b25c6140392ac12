/**
 * The marketplace as the scenarios use it: people (sessions in the real cookie format, signed with the key
 * the stack runs with), listings, reservations, and the services' own databases read to see when a change
 * has landed (a read of the row the API would serve, without the load of polling the API).
 */
import { sessionCookieFor } from '@ticketing/common/testing';

import type { BenchStack } from './bench-stack';
import type { IdleRates } from './cpu-per-operation';
import { expectJson, sleep, type Answer, type Client } from './load';
import type { Figure, LatencySeries } from './report';

export interface Listing {
  id: string;
  version: number;
  price: number;
}

export interface PlacedOrder {
  id: string;
  ticketId: string;
  expiresAt: string;
}

/** What every scenario gets: the stack, a client of the gateway, and where its figures go. */
export interface Context {
  stack: BenchStack;
  /** The gateway, over 64 connections: setup steps and the measured flows of one person at a time. */
  api: Client;
  figures: Figure[];
  details: Record<string, unknown>;
  say(line: string): void;
  /** The flash sale's reservations, for the expiry scenario to watch run out. */
  flashOrders?: PlacedOrder[];
  /** The flash sale's latencies and its anchor's, for the picture. */
  flashSeries?: LatencySeries[];
  /** Each stack process's CPU seconds a second while idle, measured once after the start. */
  idleCpu: IdleRates;
}

/** A new signed-in person: their session cookie. */
export const person = () => sessionCookieFor().cookie;

export async function listTicket(api: Client, seller: string, title: string, price = 30): Promise<Listing> {
  const answer = await api.send({ method: 'POST', path: '/api/tickets', cookie: seller, body: { title, price } });
  return expectJson<Listing>(answer, 201, `listing "${title}"`);
}

/** `count` listings by a few sellers, `concurrency` at a time. */
export async function listTickets(api: Client, count: number, prefix: string, concurrency = 16): Promise<Listing[]> {
  const sellers = Array.from({ length: concurrency }, person);
  const listings: Listing[] = new Array<Listing>(count);
  let next = 0;
  await Promise.all(
    sellers.map(async (seller) => {
      for (let index = next++; index < count; index = next++) {
        listings[index] = await listTicket(api, seller, `${prefix} ${index + 1}`);
      }
    }),
  );
  return listings;
}

/** Waits until orders' replica holds every ticket, so that a rush measures reservations, not replication. */
export async function waitUntilOrdersKnow(stack: BenchStack, ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await stack.query<{ known: number }>(
      'orders',
      'select count(*)::int as known from tickets where id = any($1::uuid[])',
      [ids],
    );
    if ((row?.known ?? 0) === ids.length) return;
    if (Date.now() > deadline) throw new Error(`orders knows ${row?.known ?? 0} of ${ids.length} tickets after 60 s`);
    await sleep(100);
  }
}

export function reserve(api: Client, buyer: string, listing: Listing): Promise<Answer> {
  return api.send({
    method: 'POST',
    path: '/api/orders',
    cookie: buyer,
    body: { ticketId: listing.id, ticketVersion: listing.version },
  });
}

export async function cancel(api: Client, buyer: string, orderId: string): Promise<void> {
  const answer = await api.send({ method: 'DELETE', path: `/api/orders/${orderId}`, cookie: buyer });
  if (answer.status !== 204) throw new Error(`cancelling ${orderId}: ${answer.status} ${answer.body}`);
}
