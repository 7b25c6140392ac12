import type { OwnedChange } from './passes';

/**
 * Whether an `owned` event (a pass issued to or taken from the caller) changes what the page shows, which is
 * each held ticket's generation by its root id (`shown`). `handled` remembers the events already acted on, so a
 * replay after a reconnect, or the same change seen again once the page has rendered it, does nothing.
 */
export function isOwnedChange(
  shown: ReadonlyMap<string, number>,
  handled: Map<string, number>,
  change: OwnedChange,
): boolean {
  const before = handled.get(change.ticketId);
  if (before !== undefined && change.generation <= before) return false;
  handled.set(change.ticketId, change.generation);
  return shown.get(change.ticketId) !== change.generation;
}

/** An `owned` event's data, or undefined when it is not one. */
export function readOwnedChange(data: unknown): OwnedChange | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const change = data as Record<string, unknown>;
  if (typeof change.ticketId !== 'string' || typeof change.generation !== 'number') return undefined;
  return { ticketId: change.ticketId, generation: change.generation };
}
