import { envelopeMessages, isUnavailable, readCheckinAnswer, type DoorResponse } from './answers';
import { formatDoorTime } from './clock';
import type { PassVoidReason } from './types';

/** A scan admitted offline, kept in IndexedDB until the service has answered it. */
export interface QueuedScan {
  /** The scan's own nonce, sent again unchanged: the service answers a nonce it has seen with what it stored. */
  nonce: string;
  code: string;
  ticketId: string;
  title: string;
  scannedAt: string;
}

/** A scan the door admitted offline that the service did not: a person to look for. */
export interface SyncConflict {
  nonce: string;
  ticketId: string;
  title: string;
  scannedAt: string;
  problem: 'admitted-elsewhere' | 'void' | 'expired' | 'listed-for-resale' | 'refused';
  firstAdmittedAt?: string;
  holderEmail?: string;
  reason?: PassVoidReason;
  /** The service's own words, for a refusal the door has no sentence of its own for. */
  message?: string;
}

export type SyncOutcome =
  /** The service admitted it (now, or already from this nonce): drop it from the queue. */
  | { kind: 'confirmed'; admittedAt: string }
  /** The service refused it: drop it from the queue and show the conflict. */
  | { kind: 'conflict'; conflict: SyncConflict }
  /** No answer to act on: keep it, and stop this round (the next scans would meet the same). */
  | { kind: 'keep'; why: 'unavailable' | 'signed-out' | 'throttled' };

/**
 * What the service's answer to an uploaded offline scan means. The service's answer wins. "Already admitted" is
 * this door's own admission when the time matches one the service confirmed to this door for that ticket
 * (`admittedHere`); any other is a double admission: the door let in someone the service had let in elsewhere.
 */
export function classifySyncAnswer(
  scan: QueuedScan,
  response: DoorResponse,
  admittedHere: Readonly<Record<string, string>>,
): SyncOutcome {
  if (isUnavailable(response) || response.kind === 'network-error') return { kind: 'keep', why: 'unavailable' };
  const { status, body } = response;
  if (status === 401) return { kind: 'keep', why: 'signed-out' };
  if (status === 429) return { kind: 'keep', why: 'throttled' };
  const answer = readCheckinAnswer(body);
  const conflict = (fields: Omit<SyncConflict, keyof QueuedScan | 'code'> & { title?: string }): SyncOutcome => ({
    kind: 'conflict',
    conflict: {
      nonce: scan.nonce,
      ticketId: scan.ticketId,
      scannedAt: scan.scannedAt,
      ...fields,
      title: fields.title ?? scan.title,
    },
  });
  if (status >= 200 && status < 300) {
    return { kind: 'confirmed', admittedAt: answer?.result === 'admitted' ? answer.admittedAt : scan.scannedAt };
  }
  if (status === 409 && answer) {
    switch (answer.result) {
      case 'admitted':
        return { kind: 'confirmed', admittedAt: answer.admittedAt };
      case 'already-admitted': {
        const ours = admittedHere[answer.ticketId];
        if (ours && Date.parse(ours) === Date.parse(answer.firstAdmittedAt)) {
          return { kind: 'confirmed', admittedAt: ours };
        }
        return conflict({
          problem: 'admitted-elsewhere',
          title: answer.title,
          firstAdmittedAt: answer.firstAdmittedAt,
          holderEmail: answer.holderEmail ?? undefined,
        });
      }
      case 'void':
        return conflict({ problem: 'void', title: answer.title, reason: answer.reason });
      case 'expired':
        return conflict({ problem: 'expired', title: answer.title });
      case 'listed-for-resale':
        return conflict({ problem: 'listed-for-resale', title: answer.title });
    }
  }
  return conflict({
    problem: 'refused',
    message: envelopeMessages(body)[0] ?? `The service refused it (HTTP ${status}).`,
  });
}

/** One line for the list of conflicts: what the door did, and what the service says instead. */
export function describeConflict(conflict: SyncConflict, now: Date, timeZone?: string): string {
  const time = (iso: string) => formatDoorTime(iso, now, timeZone);
  const admitted = `Admitted here offline at ${time(conflict.scannedAt)}`;
  switch (conflict.problem) {
    case 'admitted-elsewhere':
      return conflict.firstAdmittedAt
        ? `${admitted}, but admitted at ${time(conflict.firstAdmittedAt)} by another door`
        : `${admitted}, but admitted before by another door`;
    case 'void':
      return `${admitted}, but the pass was void: ${conflict.reason ?? 'replaced'}`;
    case 'expired':
      return `${admitted}, but check-in had closed`;
    case 'listed-for-resale':
      return `${admitted}, but the ticket was listed for resale`;
    case 'refused':
      return `${admitted}, but the service refused it: ${conflict.message ?? 'no reason given'}`;
  }
}
