import { ConflictError } from '@ticketing/common/errors';
import { parseEventStart } from '../tickets/event-start';

/** What a holder's downloadable pass shows: the same facts as `GET /api/tickets/:id/pass`. */
export interface PassDocument {
  /** The ticket as its issuer listed it: what the code names. */
  ticketId: string;
  /** The pass code, 136 base32 characters. */
  code: string;
  /** Which code of this ticket this is (1 for the first); every lower one is void. */
  generation: number;
  title: string;
  venue: string | null;
  /** ISO 8601 with the venue's offset (`2026-12-12T20:00:00+01:00`), or null when the seller gave none. */
  startsAt: string | null;
  /** The venue's IANA zone, or null for a ticket listed before zones existed. */
  timeZone: string | null;
  holderEmail: string | null;
  /** When this code was issued, ISO 8601. */
  issuedAt: string;
}

/** A pass whose event has a start: the only kind that can go in a calendar. */
export type PassDocumentWithStart = PassDocument & { startsAt: string };

export const NO_START_TO_PUT_IN_A_CALENDAR = "This ticket's event has no start to put in a calendar";

/**
 * Refuses a calendar entry for a ticket whose seller gave no start: 409 with the envelope, not 404, because the
 * ticket and its pass exist and the caller may see them (its PDF downloads); it is the ticket's state, a start
 * nobody gave, that leaves nothing to put in a calendar. The web app offers "Add to calendar" only with a start.
 */
export function assertPassHasStart(pass: PassDocument): asserts pass is PassDocumentWithStart {
  if (pass.startsAt === null) throw new ConflictError(NO_START_TO_PUT_IN_A_CALENDAR);
}

/** The start of a pass as an instant; throws on a start the API could not have written. */
export function startInstant(startsAt: string): Date {
  const start = parseEventStart(startsAt);
  if (!start) throw new RangeError(`not a start with an offset: ${startsAt}`);
  return start.at;
}

/**
 * The start on the venue's clock, as the web app's pages write it: "Sat, 12 Dec 2026, 20:00 CET" in the venue's
 * zone with its short name; without a zone, on the clock of the offset the seller gave: "Sat, 12 Dec 2026, 20:00
 * UTC+02:00". Never the server's or the reader's zone: the pass says the time printed on the ticket.
 */
export function formatVenueStart(startsAt: string, timeZone: string | null): string {
  const start = parseEventStart(startsAt);
  if (!start) return startsAt;
  if (timeZone !== null && isKnownTimeZone(timeZone)) {
    return `${wallClock(timeZone, start.at.getTime())} ${zoneShortName(timeZone, start.at.getTime())}`;
  }
  // Shifted by the offset and printed as UTC: the wall clock at the venue, whatever the server's zone.
  return `${wallClock('UTC', start.at.getTime() + start.offsetMinutes * 60_000)} ${offsetLabel(start.offsetMinutes)}`;
}

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function wallClock(timeZone: string, instant: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(instant);
}

function zoneName(locale: string, timeZone: string, instant: number, style: 'short' | 'longOffset'): string {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: style }).formatToParts(instant);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? '';
}

/**
 * CET, CEST, BST, EST, PDT…: each English locale of CLDR knows its own region's abbreviations and writes the
 * others as "GMT+1", so the first with letters wins, else the offset ("UTC+05:30"), as client/src/lib/event-start.ts.
 */
function zoneShortName(timeZone: string, instant: number): string {
  for (const locale of ['en-GB', 'en-US']) {
    const name = zoneName(locale, timeZone, instant, 'short');
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  const offset = /^GMT([+-])(\d{2}):(\d{2})$/.exec(zoneName('en-US', timeZone, instant, 'longOffset'));
  if (!offset) return 'UTC';
  return offsetLabel((offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])));
}

/** 120 → "UTC+02:00"; 0 → "UTC". */
function offsetLabel(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const size = Math.abs(minutes);
  const text = `${String(Math.floor(size / 60)).padStart(2, '0')}:${String(size % 60).padStart(2, '0')}`;
  return `UTC${minutes < 0 ? '-' : '+'}${text}`;
}
