import ical from 'ical-generator';
import { assertPassHasStart, formatVenueStart, startInstant, type PassDocument } from './pass-document';

/**
 * How long the calendar entry lasts. A ticket carries no end, and most concerts, plays and matches last two to
 * three hours: three keeps the evening blocked rather than ending the entry while the show is still on.
 */
export const PASS_EVENT_DURATION_MS = 3 * 60 * 60 * 1000;

/**
 * The pass as an iCalendar file with one event: UID `<ticketId>@ticketing` (the ticket as its issuer listed it,
 * the same through every code and holder, so a calendar that matches events by UID takes a pass downloaded again
 * for the same event), the start, three hours, the title, the venue, the pass's URL. A ticket without a start
 * throws the 409 of `assertPassHasStart`.
 *
 * The start is written as an instant in UTC (`DTSTART:20261212T190000Z`), not as `TZID=Europe/Paris` local
 * time. RFC 5545 requires a VTIMEZONE for every TZID, and apps that meet a TZID without one guess (some take it as
 * floating local time); ical-generator writes one only through a zone-rules package (the one it suggests,
 * @touch4it/ical-timezones, ships the rules of 2018), which could disagree with the instant we computed with
 * Node's own, current ones. Every calendar app converts a UTC instant right and shows it in its owner's zone,
 * which for one event (nothing repeats across a change of summer time) is all a zone would give. The venue's
 * own clock is in the description ("Sat, 12 Dec 2026, 20:00 CET (Europe/Paris)").
 */
export function renderPassCalendar(pass: PassDocument, { url }: { url?: string } = {}): string {
  assertPassHasStart(pass);
  const start = startInstant(pass.startsAt);
  const issuedAt = new Date(pass.issuedAt);
  const calendar = ical({ prodId: { company: 'Ticketing', product: 'Pass', language: 'EN' } });
  calendar.createEvent({
    id: `${pass.ticketId}@ticketing`,
    // DTSTAMP: when this pass's code was issued, so the same pass gives the same file and a newer code stamps later.
    stamp: issuedAt,
    start,
    end: new Date(start.getTime() + PASS_EVENT_DURATION_MS),
    summary: pass.title,
    location: pass.venue,
    // Never the code: a calendar is synced, shared and shown on lock screens, and whoever reads a code holds the
    // ticket. The entry links to the pass instead.
    description: [
      `Starts ${formatVenueStart(pass.startsAt, pass.timeZone)}${pass.timeZone ? ` (${pass.timeZone})` : ''}.`,
      "Show your pass's QR code at the door.",
      ...(url ? [`Your pass: ${url}`] : []),
    ].join('\n'),
    url: url ?? null,
  });
  // RFC 5545 ends every content line with CRLF, the last one too; ical-generator leaves the last one off.
  const text = calendar.toString();
  return text.endsWith('\r\n') ? text : `${text}\r\n`;
}
