/**
 * When an event starts, as its seller gave it: the instant, and the UTC offset of the venue's clock. The
 * offset is kept so that the API shows the time the seller typed (20:00 in Paris, not 18:00 UTC) and a day
 * filter reads the event's own calendar day.
 */
export interface EventStart {
  at: Date;
  /** Minutes east of UTC: +02:00 is 120, Z is 0. */
  offsetMinutes: number;
}

/** The largest offset ISO 8601 parsers commonly accept (real ones stay within −12:00 and +14:00). */
export const MAX_OFFSET_MINUTES = 18 * 60;

const DATE_TIME_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Reads an ISO 8601 date and time with an offset (`2031-06-12T20:00:00+02:00`, `2031-06-12T18:00Z`, seconds
 * and milliseconds optional); undefined for anything else, a time without an offset included: without one
 * nobody can tell when the event starts. A day or an hour that does not exist is refused, not rolled over.
 */
export function parseEventStart(value: unknown): EventStart | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DATE_TIME_WITH_OFFSET.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '0', zulu, sign, offsetHours, offsetMins] = match;
  const offsetMinutes = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMins));
  if (Number(offsetMins) >= 60 || Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return undefined;
  const wall = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.padEnd(3, '0')),
  );
  const check = new Date(wall);
  // Date.UTC rolls 2031-02-30 over to March and 25:00 to the next day: what does not survive is not a time.
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    check.getUTCHours() !== Number(hour) ||
    check.getUTCMinutes() !== Number(minute) ||
    check.getUTCSeconds() !== Number(second)
  ) {
    return undefined;
  }
  return { at: new Date(wall - offsetMinutes * 60_000), offsetMinutes };
}

/** The start as the API and the events show it: ISO 8601 at the seller's offset, milliseconds only when set. */
export function formatEventStart(start: EventStart): string {
  const wall = new Date(start.at.getTime() + start.offsetMinutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
  if (start.offsetMinutes === 0) return wall;
  const sign = start.offsetMinutes < 0 ? '-' : '+';
  const minutes = Math.abs(start.offsetMinutes);
  const offset = `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return wall.replace(/Z$/, offset);
}

/** The two columns a start is kept in: the instant and the seller's offset, both set or both null. */
export interface StartColumns {
  startsAt: Date | null;
  startsAtOffset: number | null;
}

export function startColumns(start: EventStart | null): StartColumns {
  return { startsAt: start?.at ?? null, startsAtOffset: start?.offsetMinutes ?? null };
}

/** The start a ticket row holds, as the API and the events show it, or null. */
export function startOfRow(row: StartColumns): string | null {
  if (row.startsAt === null || row.startsAtOffset === null) return null;
  return formatEventStart({ at: row.startsAt, offsetMinutes: row.startsAtOffset });
}

/** Whether the event has started by `now`: a ticket without a start never has. */
export function hasStarted(startsAt: Date | null, now: Date): boolean {
  return startsAt !== null && startsAt.getTime() <= now.getTime();
}

/** The longest zone name we take: the zone database's longest is 32 characters. */
export const TIME_ZONE_MAX = 64;

/**
 * The zone database's spelling of an IANA time zone name (`europe/paris` → `Europe/Paris`), or undefined when it
 * is not one. `Intl` is the judge (it throws on a zone it does not know); a name must start with a letter, so
 * the UTC offsets that newer engines also accept (`+02:00`) are refused: an offset is not a venue's zone.
 */
export function canonicalTimeZone(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > TIME_ZONE_MAX || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) {
    return undefined;
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The UTC offset of `timeZone` at the instant `at`, in minutes east of UTC (Paris in December: 60). */
export function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  // "GMT+01:00", "GMT-05:30", or "GMT" for zero.
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name ?? '');
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** The start on the venue's clock: the same instant, at `timeZone`'s offset then (unchanged without a zone). */
export function startInZone(start: EventStart, timeZone: string | null): EventStart {
  return timeZone === null ? start : { at: start.at, offsetMinutes: zoneOffsetMinutes(timeZone, start.at) };
}

/**
 * The columns an edit writes for the start and the zone: what it gives (undefined: keep what the row holds), the
 * start always at the zone's offset. Changing only the zone keeps the instant and moves the offset to the new
 * zone's; changing only the start shows it at the kept zone's offset.
 */
export function startAndZoneChanges(
  row: StartColumns & { timeZone: string | null },
  input: { startsAt?: EventStart | null; timeZone?: string | null },
): Partial<StartColumns & { timeZone: string | null }> {
  if (input.startsAt === undefined && input.timeZone === undefined) return {};
  const timeZone = input.timeZone === undefined ? row.timeZone : input.timeZone;
  const start =
    input.startsAt !== undefined
      ? input.startsAt
      : row.startsAt === null || row.startsAtOffset === null
        ? null
        : { at: row.startsAt, offsetMinutes: row.startsAtOffset };
  return {
    ...(input.timeZone !== undefined && { timeZone }),
    ...startColumns(start && startInZone(start, timeZone)),
  };
}
