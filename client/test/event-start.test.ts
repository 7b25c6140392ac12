import {
  UTC_OFFSETS,
  eventFieldsOf,
  eventInputValues,
  formatEventStart,
  hasEventStarted,
  joinEventStart,
  offsetText,
  splitEventStart,
} from '@/lib/event-start';

function form(values: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(values)) data.set(name, value);
  return data;
}

describe('an event’s start on the pages', () => {
  it.each([
    ['2031-06-12T20:00:00+02:00', 'Thu, Jun 12, 2031, 8:00 PM UTC+02:00'],
    ['2031-06-12T23:30:00-04:00', 'Thu, Jun 12, 2031, 11:30 PM UTC-04:00'],
    ['2031-06-12T18:00:00Z', 'Thu, Jun 12, 2031, 6:00 PM UTC'],
    ['2031-06-12T20:00:00.250+05:45', 'Thu, Jun 12, 2031, 8:00 PM UTC+05:45'],
  ])('when the start is %s, then it reads as the venue’s clock with its offset: %s', (startsAt, shown) => {
    expect(formatEventStart(startsAt)).toBe(shown);
  });

  it('when the start is not a time with an offset, then it is shown as given rather than guessed at', () => {
    expect(formatEventStart('soon')).toBe('soon');
  });

  it('when a start is split into the form’s inputs and joined back, then it is the same start', () => {
    const split = splitEventStart('2031-06-12T20:00:00-03:30');
    expect(split).toEqual({ local: '2031-06-12T20:00', offset: '-03:30' });
    expect(joinEventStart(split?.local ?? '', split?.offset ?? '')).toBe('2031-06-12T20:00:00-03:30');
    expect(splitEventStart('2031-06-12T18:00:00Z')).toEqual({ local: '2031-06-12T18:00', offset: '+00:00' });
    expect(splitEventStart(null)).toBeUndefined();
  });

  it('when a listing is put in the form, then its inputs hold the venue, the venue’s date and time, and the offset', () => {
    expect(eventInputValues({ venue: 'Olympia', startsAt: '2031-06-12T20:00:00+02:00' })).toEqual({
      venue: 'Olympia',
      startsAtLocal: '2031-06-12T20:00',
      startsAtOffset: '+02:00',
    });
    expect(eventInputValues({ venue: null, startsAt: null })).toEqual({
      venue: '',
      startsAtLocal: '',
      startsAtOffset: '',
    });
  });

  it('when the form is read, then a blank venue or date is null (an edit removes it) and a date gets its offset', () => {
    expect(
      eventFieldsOf(form({ venue: '  Olympia ', startsAtLocal: '2031-06-12T20:00', startsAtOffset: '+02:00' })),
    ).toEqual({ venue: 'Olympia', startsAt: '2031-06-12T20:00:00+02:00' });
    expect(eventFieldsOf(form({ venue: ' ', startsAtLocal: '', startsAtOffset: '+02:00' }))).toEqual({
      venue: null,
      startsAt: null,
    });
    // A form from before the fields existed sends none of them.
    expect(eventFieldsOf(form({}))).toEqual({ venue: null, startsAt: null });
  });

  it('when the offsets are listed, then each is well-formed, in order, and the zones of most of the world are there', () => {
    const minutes = UTC_OFFSETS.map(
      (offset) => (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4))),
    );
    expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
    expect(UTC_OFFSETS.map((_, index) => offsetText(minutes[index] ?? 0))).toEqual([...UTC_OFFSETS]);
    expect(UTC_OFFSETS).toEqual(expect.arrayContaining(['+00:00', '+01:00', '-05:00', '+05:30', '+09:00']));
  });

  it('when the start has passed, then the event has started; without a start it never has', () => {
    const now = Date.parse('2031-06-12T18:00:00Z');
    expect(hasEventStarted('2031-06-12T20:00:00+02:00', now)).toBe(true);
    expect(hasEventStarted('2031-06-12T20:00:01+02:00', now)).toBe(false);
    expect(hasEventStarted(null, now)).toBe(false);
  });
});
