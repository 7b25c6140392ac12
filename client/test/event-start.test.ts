import {
  eventFieldsOf,
  eventInputValues,
  formatEventStart,
  hasEventStarted,
  joinEventStart,
  offsetForLocalTime,
  splitEventStart,
} from '@/lib/event-start';
import { TIME_ZONES } from '@/lib/time-zones';

function form(values: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(values)) data.set(name, value);
  return data;
}

describe('an event’s start on the pages', () => {
  it.each([
    ['2031-12-12T20:00:00+01:00', 'Europe/Paris', 'Fri, 12 Dec 2031, 20:00 CET'],
    ['2031-06-12T20:00:00+02:00', 'Europe/Paris', 'Thu, 12 Jun 2031, 20:00 CEST'],
    ['2031-06-12T20:00:00+01:00', 'Europe/London', 'Thu, 12 Jun 2031, 20:00 BST'],
    ['2031-12-12T20:00:00-05:00', 'America/New_York', 'Fri, 12 Dec 2031, 20:00 EST'],
    ['2031-06-12T18:00:00Z', 'UTC', 'Thu, 12 Jun 2031, 18:00 UTC'],
    ['2031-06-12T20:00:00+05:30', 'Asia/Kolkata', 'Thu, 12 Jun 2031, 20:00 UTC+05:30'],
    // The zone decides, whatever offset the text carries: the same instant on the venue's clock.
    ['2031-12-12T19:00:00Z', 'Europe/Paris', 'Fri, 12 Dec 2031, 20:00 CET'],
  ])(
    'when the start is %s in %s, then it reads as the venue’s clock with the zone’s short name: %s',
    (startsAt, zone, shown) => {
      expect(formatEventStart(startsAt, zone)).toBe(shown);
    },
  );

  it.each([
    ['2031-06-12T20:00:00+02:00', 'Thu, 12 Jun 2031, 20:00 UTC+02:00'],
    ['2031-06-12T23:30:00-04:00', 'Thu, 12 Jun 2031, 23:30 UTC-04:00'],
    ['2031-06-12T18:00:00Z', 'Thu, 12 Jun 2031, 18:00 UTC'],
  ])('when a ticket has no zone (listed before zones), then %s reads on its offset’s clock: %s', (startsAt, shown) => {
    expect(formatEventStart(startsAt, null)).toBe(shown);
    expect(formatEventStart(startsAt, 'Not/A_Zone')).toBe(shown);
  });

  it('when the start is not a time with an offset, then it is shown as given rather than guessed at', () => {
    expect(formatEventStart('soon', 'Europe/Paris')).toBe('soon');
  });
});

describe('the sell form’s start and zone', () => {
  it.each([
    ['2031-12-12T20:00', 'Europe/Paris', '+01:00'],
    ['2031-07-14T20:00', 'Europe/Paris', '+02:00'],
    ['2031-12-12T20:00', 'America/New_York', '-05:00'],
    ['2031-12-12T20:00', 'Asia/Kathmandu', '+05:45'],
    ['2031-12-12T20:00', 'UTC', '+00:00'],
    // 02:30 happens twice the night summer time ends: the first one. It never happens the night it begins: read
    // with the winter offset, an hour later on the clock that skipped it.
    ['2031-10-26T02:30', 'Europe/Paris', '+02:00'],
    ['2031-03-30T02:30', 'Europe/Paris', '+01:00'],
  ])('when %s is typed for a venue in %s, then it is sent at that zone’s offset then, %s', (local, zone, offset) => {
    expect(offsetForLocalTime(local, zone)).toBe(offset);
    expect(joinEventStart(local, zone)).toBe(`${local}:00${offset}`);
  });

  it('when the form is read, then the start is the typed time on the venue’s clock, sent with the zone', () => {
    expect(
      eventFieldsOf(form({ venue: '  Olympia ', startsAtLocal: '2031-12-12T20:00', timeZone: 'Europe/Paris' })),
    ).toEqual({ venue: 'Olympia', startsAt: '2031-12-12T20:00:00+01:00', timeZone: 'Europe/Paris' });
    expect(eventFieldsOf(form({ venue: ' ', startsAtLocal: '', timeZone: 'Europe/Paris' }))).toEqual({
      venue: null,
      startsAt: null,
      timeZone: 'Europe/Paris',
    });
    // A form without the zone (rendered before zones existed, or without JavaScript before the choice) is UTC.
    expect(eventFieldsOf(form({ startsAtLocal: '2031-12-12T20:00' }))).toEqual({
      venue: null,
      startsAt: '2031-12-12T20:00:00+00:00',
      timeZone: 'UTC',
    });
  });

  it('when a zone is unknown, then it is sent as typed (the API names it) and the start at UTC', () => {
    expect(eventFieldsOf(form({ startsAtLocal: '2031-12-12T20:00', timeZone: 'Mars/Base' }))).toMatchObject({
      startsAt: '2031-12-12T20:00:00+00:00',
      timeZone: 'Mars/Base',
    });
  });

  it('when a listing is put in the form, then its inputs hold the venue, the venue’s date and time, and its zone', () => {
    expect(
      eventInputValues({ venue: 'Olympia', startsAt: '2031-12-12T20:00:00+01:00', timeZone: 'Europe/Paris' }),
    ).toEqual({ venue: 'Olympia', startsAtLocal: '2031-12-12T20:00', timeZone: 'Europe/Paris' });
    expect(eventInputValues({ venue: null, startsAt: null, timeZone: null })).toEqual({
      venue: '',
      startsAtLocal: '',
      timeZone: '',
    });
  });

  it('when a listing has no zone, then it is edited in the zone of its offset, so saving it keeps the instant', () => {
    const values = eventInputValues({ venue: null, startsAt: '2031-06-12T20:00:00+02:00', timeZone: null });
    expect(values.timeZone).toBe('Etc/GMT-2');
    expect(joinEventStart(values.startsAtLocal, values.timeZone)).toBe('2031-06-12T20:00:00+02:00');
    expect(eventInputValues({ startsAt: '2031-06-12T20:00:00Z' }).timeZone).toBe('UTC');
  });

  it('when a start is split for the form, then the local part is the venue’s clock', () => {
    expect(splitEventStart('2031-06-12T20:00:00-03:30')).toEqual({ local: '2031-06-12T20:00', offset: '-03:30' });
    expect(splitEventStart(null)).toBeUndefined();
  });

  it('when the zones are listed, then UTC comes first and the zones of most of the world are there', () => {
    expect(TIME_ZONES[0]).toBe('UTC');
    expect(TIME_ZONES).toEqual(expect.arrayContaining(['Europe/Paris', 'America/New_York', 'Asia/Tokyo']));
    expect(new Set(TIME_ZONES).size).toBe(TIME_ZONES.length);
  });

  it('when the start has passed, then the event has started; without a start it never has', () => {
    const now = Date.parse('2031-06-12T18:00:00Z');
    expect(hasEventStarted('2031-06-12T20:00:00+02:00', now)).toBe(true);
    expect(hasEventStarted('2031-06-12T20:00:01+02:00', now)).toBe(false);
    expect(hasEventStarted(null, now)).toBe(false);
  });
});
