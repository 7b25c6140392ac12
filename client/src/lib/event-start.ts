/**
 * An event's start as the API keeps it: ISO 8601 at the offset its seller gave (`2031-06-12T20:00:00+02:00`),
 * the venue's clock. The pages show it on that clock, with the offset, so every visitor reads the time printed
 * on the ticket, and the HTML is the same for all of them (the edge shares it).
 */

/** The UTC offsets in use somewhere, for the sell form's time zone choice. */
export const UTC_OFFSETS = [
  '-12:00', '-11:00', '-10:00', '-09:30', '-09:00', '-08:00', '-07:00', '-06:00', '-05:00', '-04:00', '-03:30',
  '-03:00', '-02:00', '-01:00', '+00:00', '+01:00', '+02:00', '+03:00', '+03:30', '+04:00', '+04:30', '+05:00',
  '+05:30', '+05:45', '+06:00', '+06:30', '+07:00', '+08:00', '+08:45', '+09:00', '+09:30', '+10:00', '+10:30',
  '+11:00', '+12:00', '+12:45', '+13:00', '+14:00',
] as const; // prettier-ignore

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

/** "UTC+02:00", or "UTC" for zero: how the pages name the venue's clock. */
export function offsetLabel(offset: string): string {
  const minutes = offsetMinutes(offset);
  return minutes === 0 ? 'UTC' : `UTC${offsetText(minutes)}`;
}

const wallClock = new Intl.DateTimeFormat('en-US', {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
});

/** "2031-06-12T20:00:00+02:00" → "Thu, Jun 12, 2031, 8:00 PM UTC+02:00": the venue's time, with its offset. */
export function formatEventStart(startsAt: string): string {
  const match = ISO_WITH_OFFSET.exec(startsAt);
  const instant = Date.parse(startsAt);
  if (!match?.[2] || Number.isNaN(instant)) return startsAt;
  // Shifted by the offset and printed as UTC: the wall clock at the venue, whatever the server's time zone.
  const wall = wallClock.format(new Date(instant + offsetMinutes(match[2]) * 60_000));
  return `${wall} ${offsetLabel(match[2])}`;
}

/** What the sell form's two inputs hold for a start: the `datetime-local` value and the offset. */
export function splitEventStart(startsAt: string | null | undefined): { local: string; offset: string } | undefined {
  const match = startsAt ? ISO_WITH_OFFSET.exec(startsAt) : null;
  if (!match?.[1] || !match[2]) return undefined;
  return { local: match[1], offset: offsetText(offsetMinutes(match[2])) };
}

/** What a ticket form's venue and start inputs hold for a listing, as `eventFieldsOf` reads them back. */
export function eventInputValues(ticket: { venue?: string | null; startsAt?: string | null }): {
  venue: string;
  startsAtLocal: string;
  startsAtOffset: string;
} {
  const start = splitEventStart(ticket.startsAt);
  return { venue: ticket.venue ?? '', startsAtLocal: start?.local ?? '', startsAtOffset: start?.offset ?? '' };
}

/**
 * The start the API is sent from the form's inputs: the local date and time at the chosen offset, or null when
 * no date was given (an edit then removes it). Anything odd is passed on as typed: the API is the judge and
 * names the field.
 */
export function joinEventStart(local: string, offset: string): string | null {
  const time = local.trim();
  if (!time) return null;
  const withSeconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(time) ? `${time}:00` : time;
  return `${withSeconds}${offset}`;
}

/** The venue and start a ticket form sends, from its `venue`, `startsAtLocal` and `startsAtOffset` inputs. */
export function eventFieldsOf(form: FormData): { venue: string | null; startsAt: string | null } {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const venue = text('venue').trim();
  return { venue: venue || null, startsAt: joinEventStart(text('startsAtLocal'), text('startsAtOffset') || '+00:00') };
}

/** Whether the event has begun by `now`: a ticket without a start never has. */
export function hasEventStarted(startsAt: string | null | undefined, now: number = Date.now()): boolean {
  if (!startsAt) return false;
  const instant = Date.parse(startsAt);
  return !Number.isNaN(instant) && instant <= now;
}
