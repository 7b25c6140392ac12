/**
 * An event's start as the API keeps it: ISO 8601 on the venue's clock (`2031-06-12T20:00:00+02:00`), and the
 * venue's IANA time zone (`Europe/Paris`, or null for a ticket listed before zones existed). The pages show it on
 * that clock with the zone's short name, so every visitor reads the time printed on the ticket, and the HTML is
 * the same for all of them (the edge shares it).
 */

const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** "+02:00" → 120; "Z" → 0. */
function offsetMinutes(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/** 120 → "+02:00". */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const size = Math.abs(minutes);
  return `${sign}${String(Math.floor(size / 60)).padStart(2, '0')}:${String(size % 60).padStart(2, '0')}`;
}

/** "UTC+02:00", or "UTC" for zero: how the pages name a clock known only by its offset. */
export function offsetLabel(offset: string): string {
  const minutes = offsetMinutes(offset);
  return minutes === 0 ? 'UTC' : `UTC${offsetText(minutes)}`;
}

/** Whether `Intl` knows `timeZone` (it throws on a zone it does not). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The venue's date and time, "Sat, 12 Dec 2026, 20:00", in `timeZone`. */
function wallClockIn(timeZone: string, instant: number): string {
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

function zoneNameIn(locale: string, timeZone: string, instant: number, style: 'short' | 'longOffset'): string {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: style }).formatToParts(instant);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? '';
}

/**
 * The zone's short name at that instant: CET, CEST, GMT, BST, EST, PDT… Each English locale of CLDR knows the
 * abbreviations of its own region (en-GB: CET and BST, en-US: EST and PDT) and writes the others as "GMT+1":
 * the first that has letters wins, else the offset as the pages write it ("UTC+05:30").
 */
export function zoneShortName(timeZone: string, instant: number): string {
  for (const locale of ['en-GB', 'en-US']) {
    const name = zoneNameIn(locale, timeZone, instant, 'short');
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  const offset = zoneNameIn('en-US', timeZone, instant, 'longOffset').replace(/^GMT/, '') || '+00:00';
  return offsetLabel(offset);
}

/**
 * "2031-06-12T20:00:00+02:00" → "Thu, 12 Jun 2031, 20:00 CEST" in the venue's zone, with its short name; without a
 * zone (a ticket listed before zones existed), on the clock of its offset: "Thu, 12 Jun 2031, 20:00 UTC+02:00".
 * Never the visitor's or the server's zone: every visitor reads the time printed on the ticket, and the HTML is
 * the same for all of them (the edge shares it).
 */
export function formatEventStart(startsAt: string, timeZone?: string | null): string {
  const match = ISO_WITH_OFFSET.exec(startsAt);
  const instant = Date.parse(startsAt);
  if (!match?.[2] || Number.isNaN(instant)) return startsAt;
  if (timeZone && isKnownTimeZone(timeZone)) {
    return `${wallClockIn(timeZone, instant)} ${zoneShortName(timeZone, instant)}`;
  }
  // Shifted by the offset and printed as UTC: the wall clock at the venue, whatever the server's time zone.
  return `${wallClockIn('UTC', instant + offsetMinutes(match[2]) * 60_000)} ${offsetLabel(match[2])}`;
}

/** The zone's offset at `instant`, in minutes east of UTC. */
function zoneOffsetMinutes(timeZone: string, instant: number): number {
  const offset = zoneNameIn('en-US', timeZone, instant, 'longOffset').replace(/^GMT/, '');
  return offset ? offsetMinutes(offset) : 0;
}

/**
 * The offset of `timeZone` for a date and time on the venue's clock (`2031-12-12T20:00` in Europe/Paris →
 * "+01:00"): what the seller typed in the datetime-local input is the venue's time, so it is converted with the
 * venue's zone, never the browser's or the server's. A time that happens twice (the hour summer time ends)
 * takes the first; one that never happens (the hour it begins) is read with the offset from before the change,
 * so it lands an hour later, as a wall clock that skipped it would show it.
 */
export function offsetForLocalTime(local: string, timeZone: string): string {
  const asUtc = Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`);
  if (Number.isNaN(asUtc) || !isKnownTimeZone(timeZone)) return '+00:00';
  // The offsets around that wall time: the instant is wall time − offset, for whichever offset agrees.
  const before = zoneOffsetMinutes(timeZone, asUtc - 86_400_000);
  const after = zoneOffsetMinutes(timeZone, asUtc + 86_400_000);
  for (const candidate of before === after ? [before] : [Math.max(before, after), Math.min(before, after)]) {
    if (zoneOffsetMinutes(timeZone, asUtc - candidate * 60_000) === candidate) return offsetText(candidate);
  }
  return offsetText(before);
}

/** What the sell form's start input holds for a start: the `datetime-local` value, on the venue's clock. */
export function splitEventStart(startsAt: string | null | undefined): { local: string; offset: string } | undefined {
  const match = startsAt ? ISO_WITH_OFFSET.exec(startsAt) : null;
  if (!match?.[1] || !match[2]) return undefined;
  return { local: match[1], offset: offsetText(offsetMinutes(match[2])) };
}

/**
 * The zone a listing without one is edited in: the zone of its fixed offset (`+02:00` → Etc/GMT-2: the zone
 * database's signs are inverted), so that saving it again keeps the instant. None for an offset of minutes.
 */
function zoneOfOffset(offset: string): string {
  const minutes = offsetMinutes(offset);
  if (minutes === 0) return 'UTC';
  if (minutes % 60 !== 0) return '';
  return `Etc/GMT${minutes > 0 ? '-' : '+'}${Math.abs(minutes / 60)}`;
}

/** What a ticket form's venue, start and zone inputs hold for a listing, as `eventFieldsOf` reads them back. */
export function eventInputValues(ticket: {
  venue?: string | null;
  startsAt?: string | null;
  timeZone?: string | null;
}): {
  venue: string;
  startsAtLocal: string;
  timeZone: string;
} {
  const start = splitEventStart(ticket.startsAt);
  return {
    venue: ticket.venue ?? '',
    startsAtLocal: start?.local ?? '',
    timeZone: ticket.timeZone ?? (start ? zoneOfOffset(start.offset) : ''),
  };
}

/**
 * The start the API is sent from the form's inputs: the date and time on the venue's clock at the zone's offset
 * then, or null when no date was given (an edit then removes it). Anything odd is passed on as typed: the API is
 * the judge and names the field.
 */
export function joinEventStart(local: string, timeZone: string): string | null {
  const time = local.trim();
  if (!time) return null;
  const withSeconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(time) ? `${time}:00` : time;
  return `${withSeconds}${offsetForLocalTime(time, timeZone)}`;
}

/**
 * The venue, start and zone a ticket form sends, from its `venue`, `startsAtLocal` and `timeZone` inputs. A form
 * that sends no zone (its page rendered before zones existed) means UTC, as the form's own choice does until
 * the browser fills in its zone.
 */
export function eventFieldsOf(form: FormData): { venue: string | null; startsAt: string | null; timeZone: string } {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const venue = text('venue').trim();
  const timeZone = text('timeZone').trim() || 'UTC';
  return { venue: venue || null, startsAt: joinEventStart(text('startsAtLocal'), timeZone), timeZone };
}

/** Whether the event has begun by `now`: a ticket without a start never has. */
export function hasEventStarted(startsAt: string | null | undefined, now: number = Date.now()): boolean {
  if (!startsAt) return false;
  const instant = Date.parse(startsAt);
  return !Number.isNaN(instant) && instant <= now;
}
