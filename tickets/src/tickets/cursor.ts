import { isUuid } from '@ticketing/common';
import type { ListPosition } from '../db/tickets';

const EXACT_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;

/** The opaque `?cursor=` of the page after `position`: base64url of its creation time and id. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdAt} ${position.id}`, 'utf8').toString('base64url');
}

/**
 * The list position a cursor stands for, or undefined when it is not one this service wrote. Checked
 * strictly (a real calendar time, a UUID, canonical base64url), so that a forged cursor is a 400 and
 * never reaches the database as something it would reject with a 500.
 */
export function decodeCursor(cursor: unknown): ListPosition | undefined {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(' ');
  if (rest.length > 0 || createdAt === undefined || !isUuid(id)) return undefined;
  const time = EXACT_TIME.exec(createdAt);
  const milliseconds = time?.[1] ? new Date(`${time[1]}Z`) : undefined;
  // Date rolls 2024-02-30 over to March: a time that does not survive the round trip is not a real one.
  if (!milliseconds || Number.isNaN(milliseconds.getTime()) || milliseconds.toISOString() !== `${time?.[1]}Z`) {
    return undefined;
  }
  const position = { createdAt, id };
  return encodeCursor(position) === cursor ? position : undefined;
}
