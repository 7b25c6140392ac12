import { newerView, reopenDelayMs, ticketsStreamUrl, withNewerViews } from '@/lib/live-views';

const ticket = (version: number, title = `v${version}`) => ({ id: 'ticket-1', version, title });

describe('which copy of a live view the page shows', () => {
  it('when the stream sends a newer version, then it replaces what the server rendered', () => {
    expect(newerView(ticket(1), ticket(2))).toEqual(ticket(2));
  });

  it('when a copy is older or the same version (a reconnect’s snapshot, a late server render), then the page keeps its own', () => {
    const shown = ticket(3, 'shown');
    expect(newerView(shown, ticket(2))).toBe(shown);
    expect(newerView(shown, ticket(3, 'again'))).toBe(shown);
  });

  it('when a copy is of another view, then it is ignored', () => {
    const shown = ticket(1);
    expect(newerView(shown, { id: 'ticket-2', version: 9, title: 'other' })).toBe(shown);
  });

  it('when several views are kept, then each keeps its newest version, and nothing changes on old news', () => {
    const views = withNewerViews(new Map(), [ticket(1), { id: 'ticket-2', version: 0, title: 'b' }]);
    expect([...views.values()].map((view) => [view.id, view.version])).toEqual([
      ['ticket-1', 1],
      ['ticket-2', 0],
    ]);
    expect(withNewerViews(views, [ticket(1), ticket(0)])).toBe(views);
    expect(withNewerViews(views, [ticket(2)]).get('ticket-1')?.version).toBe(2);
  });
});

describe('the landing page’s one stream', () => {
  it('when cards are shown, then one stream watches all of them, each once', () => {
    expect(ticketsStreamUrl(['a', 'b', 'a'])).toBe('/api/tickets/stream?ids=a,b');
  });

  it('when no card is shown, then there is no stream', () => {
    expect(ticketsStreamUrl([])).toBeNull();
  });

  it('when more tickets are shown than a stream may watch, then it watches the first 100', () => {
    const ids = Array.from({ length: 150 }, (_, index) => `t${index}`);
    expect(ticketsStreamUrl(ids)?.split('=')[1]?.split(',')).toHaveLength(100);
  });
});

describe('opening a refused stream again', () => {
  it('when refused again and again, then the wait doubles from about 5 s to about a minute, spread by chance', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((failures) => reopenDelayMs(failures, 0.5))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
    expect(reopenDelayMs(1, 0)).toBe(2_500);
    expect(reopenDelayMs(1, 0.999)).toBeLessThan(7_500);
  });
});
