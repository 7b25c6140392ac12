import { formatDoorTime } from './clock';

export interface FreshnessInput {
  /** When the door last downloaded the key, its tickets and the revocations (ISO), or null if never. */
  refreshedAt: string | null;
  /** When the door noticed it was offline (ISO), or null while online. */
  offlineSince: string | null;
  now: Date;
  timeZone?: string;
}

/** Minutes after which an online door's list counts as stale (it downloads every minute). */
export const STALE_AFTER_MINUTES = 3;

/**
 * How fresh the door's knowledge is, always on screen: the doorman must know whether a "void" pass could have
 * been voided after the list was downloaded. `stale` asks the page to draw attention to it.
 */
export function describeFreshness({ refreshedAt, offlineSince, now, timeZone }: FreshnessInput): {
  text: string;
  stale: boolean;
} {
  const time = (iso: string) => formatDoorTime(iso, now, timeZone);
  if (offlineSince) {
    return {
      text: refreshedAt
        ? `Offline since ${time(offlineSince)}; list from ${time(refreshedAt)}`
        : `Offline since ${time(offlineSince)}; no list downloaded, so passes cannot be checked`,
      stale: true,
    };
  }
  if (!refreshedAt) return { text: 'Downloading the revocation list…', stale: true };
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(refreshedAt)) / 60_000));
  const ago = minutes === 0 ? 'just now' : minutes < 60 ? `${minutes} min ago` : `at ${time(refreshedAt)}`;
  return { text: `Revocation list updated ${ago}`, stale: minutes >= STALE_AFTER_MINUTES };
}

export function describeQueue(count: number): string {
  if (count === 0) return 'No scans waiting to upload';
  return count === 1 ? '1 scan queued for upload' : `${count} scans queued for upload`;
}
