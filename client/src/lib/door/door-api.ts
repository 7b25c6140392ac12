import type { DoorResponse } from './answers';
import type { KnowledgeDownload } from './knowledge';
import type { CheckinRequest, DoorTicketsResponse, PublishedPassKey, RevokedPassCodesResponse } from './types';

/**
 * Long enough for a slow venue network, short enough that a doorman with a queue in front of them falls back to
 * the offline check rather than wait: a request cut off here may still have been admitted by the service, and
 * the scan's nonce makes its upload later get that same answer.
 */
export const REQUEST_TIMEOUT_MS = 6_000;
/**
 * Once the door knows it is offline (a Wi-Fi without a way out keeps `navigator.onLine` true), a scan still
 * tries the service first, so the door is back online the moment the network is, but gives up this soon.
 */
export const OFFLINE_REQUEST_TIMEOUT_MS = 1_500;

/** One same-origin call (the browser's session cookie goes along). Never throws. */
export async function doorRequest(
  path: string,
  body?: unknown,
  timeoutMs: number = REQUEST_TIMEOUT_MS,
): Promise<DoorResponse> {
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return { kind: 'network-error' };
  let response: Response;
  try {
    response = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return { kind: 'network-error' };
  }
  let parsed: unknown = undefined;
  try {
    const text = await response.text();
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { kind: 'answer', status: response.status, body: parsed };
}

export function postCheckin(request: CheckinRequest, timeoutMs?: number): Promise<DoorResponse> {
  return doorRequest('/api/checkins', request, timeoutMs);
}

export type DownloadOutcome =
  | { kind: 'downloaded'; download: KnowledgeDownload }
  | { kind: 'offline' }
  | { kind: 'sign-in' }
  | { kind: 'failed'; status: number };

/**
 * Downloads what the door needs offline: the key, the issuer's tickets, and the codes voided since the last
 * download's `asOf` (all of them the first time). All three or nothing, so the freshness the page shows is
 * true of each.
 */
export async function downloadKnowledge(revokedSince: string | null): Promise<DownloadOutcome> {
  const revokedPath = revokedSince
    ? `/api/checkins/revoked?since=${encodeURIComponent(revokedSince)}`
    : '/api/checkins/revoked';
  const [key, tickets, revoked] = await Promise.all([
    doorRequest('/api/checkins/key'),
    doorRequest('/api/checkins/tickets'),
    doorRequest(revokedPath),
  ]);
  const responses = [key, tickets, revoked];
  const answered = responses.filter((response) => response.kind === 'answer');
  if (answered.length < responses.length) return { kind: 'offline' };
  if (answered.some((response) => response.status === 401)) return { kind: 'sign-in' };
  const failed = answered.find((response) => response.status !== 200);
  if (failed) return { kind: 'failed', status: failed.status };
  if (key.kind !== 'answer' || tickets.kind !== 'answer' || revoked.kind !== 'answer') return { kind: 'offline' };
  const keyBody = key.body as PublishedPassKey | undefined;
  const ticketsBody = tickets.body as DoorTicketsResponse | undefined;
  const revokedBody = revoked.body as RevokedPassCodesResponse | undefined;
  if (
    keyBody?.algorithm !== 'Ed25519' ||
    typeof keyBody.publicKey !== 'string' ||
    !Array.isArray(ticketsBody?.tickets) ||
    !Array.isArray(revokedBody?.revoked) ||
    typeof revokedBody.asOf !== 'string'
  ) {
    return { kind: 'failed', status: 200 };
  }
  return {
    kind: 'downloaded',
    download: {
      key: keyBody,
      tickets: ticketsBody.tickets,
      revoked: revokedBody.revoked,
      revokedAsOf: revokedBody.asOf,
      refreshedAt: new Date().toISOString(),
    },
  };
}
