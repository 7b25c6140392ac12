import { envelopeMessages, isUnavailable, readCheckinAnswer, type DoorResponse } from './answers';
import { formatDoorTime } from './clock';
import type { PassVoidReason } from './types';

/**
 * What the door says about one scan, whoever decided it (the service online, the page itself offline). Every
 * kind is one of four tones the page shows big: admit (green), refuse (red), pending (amber: admitted here,
 * the service has not confirmed it yet), retry (grey: nothing was decided, scan again).
 */
export type DoorVerdict =
  | { kind: 'admitted'; title: string; holderEmail?: string; admittedAt: string }
  | { kind: 'admitted-offline'; title: string; scannedAt: string }
  | {
      kind: 'already-admitted';
      title?: string;
      holderEmail?: string;
      firstAdmittedAt: string;
      /** Admitted by this door while offline, not yet confirmed by the service. */
      offlineHere?: boolean;
    }
  /** `replaced`: offline, the code is older than the generation the door knows, without the reason. */
  | { kind: 'void'; title?: string; reason: PassVoidReason | 'replaced' }
  | { kind: 'expired'; title?: string; closedAt: string | null }
  | { kind: 'listed-for-resale'; title: string }
  /**
   * malformed: not a code (400); forged: its signature is wrong (offline) or the service knows no such pass
   * (404); not-yours: another issuer's ticket (403 online; offline, not in the door's list of tickets).
   */
  | { kind: 'refused'; reason: 'malformed' | 'forged' | 'not-yours'; message?: string }
  | { kind: 'cannot-verify-offline'; message: string }
  | { kind: 'not-checked'; message: string };

export type VerdictTone = 'admit' | 'refuse' | 'pending' | 'retry';

/** What an online answer means for the door: a verdict, the need to sign in again, or a check offline. */
export type OnlineOutcome = { kind: 'verdict'; verdict: DoorVerdict } | { kind: 'sign-in' } | { kind: 'unavailable' };

/** Maps every answer of `POST /api/checkins` to what the door shows. */
export function readOnlineCheckin(response: DoorResponse): OnlineOutcome {
  if (isUnavailable(response) || response.kind === 'network-error') return { kind: 'unavailable' };
  const { status, body } = response;
  if (status === 401) return { kind: 'sign-in' };
  const message = envelopeMessages(body)[0];
  if (status === 201 || status === 200 || status === 409) {
    const answer = readCheckinAnswer(body);
    if (answer) return { kind: 'verdict', verdict: verdictFromAnswer(answer) };
  }
  const verdict = (verdict: DoorVerdict): OnlineOutcome => ({ kind: 'verdict', verdict });
  switch (status) {
    case 400:
      return verdict({ kind: 'refused', reason: 'malformed', message });
    case 403:
      return verdict({ kind: 'refused', reason: 'not-yours', message });
    case 404:
      return verdict({ kind: 'refused', reason: 'forged', message });
    case 429:
      return verdict({
        kind: 'not-checked',
        message: message ?? 'Too many scans at once. Wait a moment, then scan again.',
      });
    default:
      return verdict({
        kind: 'not-checked',
        message: message ?? `The check-in service gave an answer the door cannot read (HTTP ${status}).`,
      });
  }
}

function verdictFromAnswer(answer: NonNullable<ReturnType<typeof readCheckinAnswer>>): DoorVerdict {
  switch (answer.result) {
    case 'admitted':
      return {
        kind: 'admitted',
        title: answer.title,
        // Null while tickets' copy of the accounts has not heard of the holder yet.
        holderEmail: answer.holderEmail ?? undefined,
        admittedAt: answer.admittedAt,
      };
    case 'already-admitted':
      return {
        kind: 'already-admitted',
        title: answer.title,
        holderEmail: answer.holderEmail ?? undefined,
        firstAdmittedAt: answer.firstAdmittedAt,
      };
    case 'void':
      return { kind: 'void', title: answer.title, reason: answer.reason };
    case 'listed-for-resale':
      return { kind: 'listed-for-resale', title: answer.title };
    case 'expired':
      return { kind: 'expired', title: answer.title, closedAt: answer.closedAt ?? null };
  }
}

export function verdictTone(verdict: DoorVerdict): VerdictTone {
  switch (verdict.kind) {
    case 'admitted':
      return 'admit';
    case 'admitted-offline':
      return 'pending';
    case 'not-checked':
      return 'retry';
    case 'already-admitted':
    case 'void':
    case 'expired':
    case 'listed-for-resale':
    case 'refused':
    case 'cannot-verify-offline':
      return 'refuse';
  }
}

/** The verdict in words: a headline readable at arm's length, then the details under it. */
export interface VerdictText {
  tone: VerdictTone;
  headline: string;
  details: string[];
}

const VOID_HEADLINES: Record<PassVoidReason | 'replaced', string> = {
  resold: 'Void: resold',
  transferred: 'Void: transferred',
  replaced: 'Void: replaced by a newer pass',
};

const REFUSED_HEADLINES = {
  malformed: 'Not a pass code',
  forged: 'Unknown or forged pass',
  'not-yours': 'Not a ticket to your event',
} as const;

/** `now` and `timeZone` decide how times read ("20:14", or "20:14 on 6 Dec" on another day). */
export function describeVerdict(verdict: DoorVerdict, now: Date, timeZone?: string): VerdictText {
  const tone = verdictTone(verdict);
  const time = (iso: string) => formatDoorTime(iso, now, timeZone);
  const known = (...parts: (string | undefined)[]) => parts.filter((part): part is string => Boolean(part));
  switch (verdict.kind) {
    case 'admitted':
      return {
        tone,
        headline: 'Admitted',
        details: known(verdict.title, verdict.holderEmail, `at ${time(verdict.admittedAt)}`),
      };
    case 'admitted-offline':
      return {
        tone,
        headline: 'Offline: admitted here, not yet confirmed',
        details: [verdict.title, `scanned at ${time(verdict.scannedAt)}; uploaded when the door is back online`],
      };
    case 'already-admitted':
      return {
        tone,
        headline: `Already admitted at ${time(verdict.firstAdmittedAt)}`,
        details: known(verdict.title, verdict.holderEmail, verdict.offlineHere ? 'by this door, offline' : undefined),
      };
    case 'void':
      return {
        tone,
        headline: VOID_HEADLINES[verdict.reason],
        details: known(verdict.title, 'This code was replaced: the holder has a newer pass, or none.'),
      };
    case 'expired':
      return {
        tone,
        headline: 'Expired',
        details: known(verdict.title, verdict.closedAt ? `check-in closed at ${time(verdict.closedAt)}` : undefined),
      };
    case 'listed-for-resale':
      return {
        tone,
        headline: 'Listed for resale: not admitted',
        details: [verdict.title, 'The holder must withdraw the resale listing first.'],
      };
    case 'refused':
      return { tone, headline: REFUSED_HEADLINES[verdict.reason], details: known(verdict.message) };
    case 'cannot-verify-offline':
      return { tone, headline: 'Cannot verify offline: not admitted', details: [verdict.message] };
    case 'not-checked':
      return { tone, headline: 'Not checked: scan again', details: [verdict.message] };
  }
}
