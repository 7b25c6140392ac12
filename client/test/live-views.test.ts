import { isChangeSinceSeen, newerView, reopenDelayMs, ticketsStreamUrl, withNewerViews } from '@/lib/live-views';

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

describe('what a page that follows its tickets counts as a change', () => {
  it('when a ticket’s first copy arrives (the snapshot on connect), then it is not a change; a higher version is, once', () => {
    const seen = new Map<string, number>();
    expect(isChangeSinceSeen(seen, ticket(3))).toBe(false);
    expect(isChangeSinceSeen(seen, ticket(3))).toBe(false);
    expect(isChangeSinceSeen(seen, ticket(4))).toBe(true);
    expect(isChangeSinceSeen(seen, ticket(4))).toBe(false);
  });

  it('when an older copy arrives after a newer one (a reconnect’s late snapshot), then it is not a change', () => {
    const seen = new Map<string, number>([['ticket-1', 5]]);
    expect(isChangeSinceSeen(seen, ticket(4))).toBe(false);
    expect(seen.get('ticket-1')).toBe(5);
  });
});
