/**
 * Times as the door shows them: on the door's own clock (the browser's time zone unless told), 24-hour, with
 * the day only when it is not today's ("20:14", "20:14 on 6 Dec"): a doorman compares them with the watch.
 */
export function formatDoorTime(iso: string, now: Date, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
  const day = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
  if (day.format(date) === day.format(now)) return time.format(date);
  const shortDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone });
  return `${time.format(date)} on ${shortDay.format(date)}`;
}
