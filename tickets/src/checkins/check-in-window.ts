const HOUR_MS = 3_600_000;

/**
 * When the door stops admitting a ticket: its event's start plus CHECKIN_WINDOW_HOURS. Null for a ticket
 * whose seller gave no start: nothing says when its event ends, so its door never closes.
 */
export function closingTime(startsAt: Date | null, checkinWindowHours: number): Date | null {
  return startsAt === null ? null : new Date(startsAt.getTime() + checkinWindowHours * HOUR_MS);
}

/**
 * The moment a scan is judged at: when the door says it scanned the code (an offline door uploads later, and a
 * scan made before closing still admits), but never later than the server's own clock (a door whose clock runs
 * a little ahead gains nothing by it).
 */
export function judgedAt(scannedAt: Date | null, now: Date): Date {
  return scannedAt !== null && scannedAt.getTime() < now.getTime() ? scannedAt : now;
}
