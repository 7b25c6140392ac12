import { decodeCursor } from './cursor';
import { parseEventStart } from './event-start';

/** The orders the for-sale list comes in: newest listed first, cheapest first, soonest event first. */
export const TICKET_SORTS = ['newest', 'price', 'date'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

/**
 * Where a ticket sits in the for-sale list under one sort: its key in that sort, read exactly as the database
 * holds it (a time to the microsecond, cents, or `infinity` for a ticket without a start under `date`), and its
 * id, which breaks ties.
 */
export interface ListPosition {
  sort: TicketSort;
  key: string;
  id: string;
}

/**
 * A bound of a date filter: an instant (a date and time with an offset), compared with the start itself, or
 * a calendar day (`2031-06-12`), compared with the day the event starts on at its venue, whichever the
 * visitor's time zone: "events on 12 June" are those whose seller said 12 June.
 */
export type DateBound = { kind: 'instant'; at: Date } | { kind: 'day'; day: string };

/** What a visitor looks for among the tickets for sale; every filter is optional and they all combine. */
export interface TicketSearch {
  /** Words matched against the title and the venue, the last one as a prefix. */
  text?: string;
  /** Cents, inclusive. */
  minPrice?: number;
  maxPrice?: number;
  /** On the start, inclusive; a ticket without a start is left out once either is given. */
  from?: DateBound;
  to?: DateBound;
  sort: TicketSort;
}

/** Whether `text` has a word to look for: a letter or a digit (punctuation alone filters nothing). */
export function hasSearchWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** The most cents a price bound may say: the highest listing price. */
const MAX_PRICE_BOUND_CENTS = 99_999_999;

/** A price bound in cents from a decimal (`20`, `20.5`, `20.50`); undefined when it is not one. */
export function parsePriceBound(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,8}(\.\d{1,2})?$/.test(value)) return undefined;
  const [whole = '0', fraction = ''] = value.split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return cents <= MAX_PRICE_BOUND_CENTS ? cents : undefined;
}

/** A date filter's bound: a calendar day or a date and time with an offset; undefined for anything else. */
export function parseDateBound(value: unknown): DateBound | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value)
      ? { kind: 'day', day: value }
      : undefined;
  }
  const start = parseEventStart(value);
  return start && { kind: 'instant', at: start.at };
}

/** Why a cursor cannot continue a list: the same message wherever it is checked. */
export function cursorProblem(cursor: unknown, sort: TicketSort): string | undefined {
  const position = decodeCursor(cursor);
  if (!position) return 'Cursor is not valid';
  if (position.sort !== sort) return `Cursor belongs to another sort than ${sort}`;
  return undefined;
}
