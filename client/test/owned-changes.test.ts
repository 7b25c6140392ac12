import { isOwnedChange, readOwnedChange } from '@/lib/owned-changes';

describe('when My tickets renders again after an owned event', () => {
  const shown = new Map([
    ['root-1', 1],
    ['root-2', 4],
  ]);

  it('when a shown pass gets a new generation (transferred away, or resold), then the page renders again', () => {
    expect(isOwnedChange(shown, new Map(), { ticketId: 'root-1', generation: 2 })).toBe(true);
  });

  it('when a pass the page does not show is issued to the visitor, then the page renders again', () => {
    expect(isOwnedChange(shown, new Map(), { ticketId: 'root-9', generation: 3 })).toBe(true);
  });

  it('when the event names what the page already shows, then nothing happens', () => {
    expect(isOwnedChange(shown, new Map(), { ticketId: 'root-2', generation: 4 })).toBe(false);
  });

  it('when the same change comes again (a reconnect) or an older one arrives late, then it is acted on once', () => {
    const handled = new Map<string, number>();
    expect(isOwnedChange(shown, handled, { ticketId: 'root-1', generation: 3 })).toBe(true);
    expect(isOwnedChange(shown, handled, { ticketId: 'root-1', generation: 3 })).toBe(false);
    expect(isOwnedChange(shown, handled, { ticketId: 'root-1', generation: 2 })).toBe(false);
    expect(isOwnedChange(shown, handled, { ticketId: 'root-1', generation: 4 })).toBe(true);
  });

  it('when the data is not an owned change, then it is not read', () => {
    expect(readOwnedChange({ ticketId: 'root-1', generation: 2 })).toEqual({ ticketId: 'root-1', generation: 2 });
    expect(readOwnedChange({ ticketId: 'root-1' })).toBeUndefined();
    expect(readOwnedChange('hello')).toBeUndefined();
    expect(readOwnedChange(null)).toBeUndefined();
  });
});
