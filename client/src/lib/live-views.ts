/**
 * Pure rules of the live pages (no React): which of two copies of a view to show, and when to open a stream
 * again that the server refused.
 */

/** What every live view carries: its id, and the version its owner bumps on every change. */
export interface Versioned {
  id: string;
  version: number;
}

/**
 * The copy to show: the higher version. A server render (`router.refresh()` after a form) and the stream can
 * each be ahead of the other; neither may take the page back.
 */
export function newerView<T extends Versioned>(current: T, candidate: T): T {
  return candidate.id === current.id && candidate.version > current.version ? candidate : current;
}

/**
 * `views` with each of `updates` it lacks or holds an older version of; the same object when nothing changed
 * (so React skips a render).
 */
export function withNewerViews<T extends Versioned>(
  views: ReadonlyMap<string, T>,
  updates: readonly T[],
): ReadonlyMap<string, T> {
  let next: Map<string, T> | undefined;
  for (const update of updates) {
    const current = (next ?? views).get(update.id);
    if (current !== undefined && newerView(current, update) === current) continue;
    next ??= new Map(views);
    next.set(update.id, update);
  }
  return next ?? views;
}

/**
 * Whether `view` is a change since the versions `seen` (which it then records): the first copy of a view is
 * the stream's snapshot on connect, not a change; a later, higher version is. For a page that shows what
 * follows from its views rather than the views themselves, and renders again on a change.
 */
export function isChangeSinceSeen(seen: Map<string, number>, view: Versioned): boolean {
  const before = seen.get(view.id);
  if (before !== undefined && view.version <= before) return false;
  seen.set(view.id, view.version);
  return before !== undefined;
}

/** Tickets one landing-page stream may watch (the API's bound). */
export const MAX_TICKETS_PER_STREAM = 100;

/** The one stream of a page showing several tickets, or null when there is nothing to watch. */
export function ticketsStreamUrl(ids: readonly string[]): string | null {
  const unique = [...new Set(ids)].slice(0, MAX_TICKETS_PER_STREAM);
  return unique.length === 0 ? null : `/api/tickets/stream?ids=${unique.join(',')}`;
}

/**
 * How long to wait before opening again a stream the server refused (EventSource gives up on any answer that
 * is not a stream: a 503 when the service holds its most streams, a restart). Doubles from 5 s to a minute,
 * each wait drawn between half and one and a half times that, so a crowd refused together comes back spread.
 */
export function reopenDelayMs(failures: number, random: number = Math.random()): number {
  const base = Math.min(60_000, 5_000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.5 + random));
}
