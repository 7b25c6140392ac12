import { isUuid } from '@ticketing/common/middleware';
import type { ListPosition, TicketSort } from './ticket-search';

/** A PostgreSQL time to the microsecond, as the list reads it (UTC, ISO 8601). */
const EXACT_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;
/** A price in cents, as the list reads it: no sign, no leading zero. */
const CENTS = /^(0|[1-9]\d{0,9})$/;

/**
 * The opaque `?cursor=` of the page after `position`: base64url of the sort it belongs to, the ticket's key in
 * that sort, and its id.
 */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.sort} ${position.key} ${position.id}`, 'utf8').toString('base64url');
}

/**
 * The list position a cursor stands for, or undefined when it is not one this service wrote. Checked strictly
 * (a real calendar time or a whole number of cents, a UUID, canonical base64url), so that a forged cursor is a
 * 400 and never reaches the database as something it would reject with a 500. Which sort it belongs to is the
 * caller's to check: a cursor of another sort is well-formed, and still a 400.
 */
export function decodeCursor(cursor: unknown): ListPosition | undefined {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const [sort, key, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(' ');
  if (rest.length > 0 || key === undefined || !isUuid(id)) return undefined;
  const valid =
    (sort === 'newest' && isExactTime(key)) ||
    (sort === 'price' && CENTS.test(key)) ||
    (sort === 'date' && (key === 'infinity' || isExactTime(key)));
  if (!valid) return undefined;
  const position: ListPosition = { sort: sort as TicketSort, key, id };
  return encodeCursor(position) === cursor ? position : undefined;
}

function isExactTime(text: string): boolean {
  const time = EXACT_TIME.exec(text);
  const milliseconds = time?.[1] ? new Date(`${time[1]}Z`) : undefined;
  // Date rolls 2024-02-30 over to March: a time that does not survive the round trip is not a real one.
  return (
    milliseconds !== undefined &&
    !Number.isNaN(milliseconds.getTime()) &&
    milliseconds.toISOString() === `${time?.[1]}Z`
  );
}
