import type { ParsedPassCode } from '@ticketing/common/pass-code';
import { formatDoorTime } from './clock';
import { revokedKey, type DoorKnowledge } from './knowledge';
import type { DoorVerdict } from './verdict';

/** What WebCrypto said of a code's signature, or why it could not say. */
export type SignatureCheck = 'valid' | 'invalid' | 'no-key' | 'unsupported';

/** base64url (RFC 4648 §5, padding optional) → bytes; undefined when it is not. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  const base64 = text.replace(/=+$/, '').replaceAll('-', '+').replaceAll('_', '/');
  try {
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** A copy on a plain ArrayBuffer: what WebCrypto's `BufferSource` asks for. */
function bufferOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/**
 * Checks a code's Ed25519 signature with the published key through WebCrypto (Chromium, Firefox and Safari have
 * Ed25519; a browser without it answers 'unsupported', and the door refuses rather than admit unverified).
 */
export async function verifyPassSignature(
  parsed: Pick<ParsedPassCode, 'signed' | 'signature'>,
  publicKey: string | undefined,
  subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle,
): Promise<SignatureCheck> {
  if (!publicKey) return 'no-key';
  const raw = fromBase64Url(publicKey);
  if (!raw || raw.length !== 32) return 'no-key';
  if (!subtle) return 'unsupported';
  let key: CryptoKey;
  try {
    key = await subtle.importKey('raw', bufferOf(raw), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return 'unsupported';
  }
  try {
    const valid = await subtle.verify({ name: 'Ed25519' }, key, bufferOf(parsed.signature), bufferOf(parsed.signed));
    return valid ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

export interface OfflineCheck {
  /** The code read apart (`parsePassCode`), or undefined when it is not a code. */
  parsed: Pick<ParsedPassCode, 'ticketId' | 'generation'> | undefined;
  signature: SignatureCheck;
  knowledge: DoorKnowledge;
  /** Scans admitted here offline and not yet answered by the service: ticket id → scannedAt. */
  admittedOffline: ReadonlyMap<string, string>;
  /** When the door scanned it (ISO). */
  scannedAt: string;
}

/**
 * The door's own verdict on a code while it cannot reach the service, from what it last downloaded. It only
 * admits what it can prove: a code the service signed, for a ticket of this issuer, at least as new as the
 * generation it knows, not void, not admitted, still open. A code newer than the door's list is the service's
 * own signature on a pass issued since (a resale or transfer after the last download): admitted, and the
 * service has the last word when the scan is uploaded. What it cannot know offline (a live resale listing, an
 * admission at another door since the last download) is caught then and shown as a conflict.
 */
export function decideOffline({ parsed, signature, knowledge, admittedOffline, scannedAt }: OfflineCheck): DoorVerdict {
  if (!parsed) return { kind: 'refused', reason: 'malformed', message: 'This is not a pass code.' };
  switch (signature) {
    case 'no-key':
      return {
        kind: 'cannot-verify-offline',
        message: 'The door has not downloaded the signing key yet. Get back online to check passes.',
      };
    case 'unsupported':
      return {
        kind: 'cannot-verify-offline',
        message: 'This browser cannot check signatures (Ed25519). Use a current Chrome, Edge, Firefox or Safari.',
      };
    case 'invalid':
      return { kind: 'refused', reason: 'forged', message: 'The signature does not match: not a pass we issued.' };
    case 'valid':
      break;
  }
  const ticket = knowledge.tickets[parsed.ticketId];
  if (!ticket) {
    const asOf = knowledge.refreshedAt
      ? ` (list from ${formatDoorTime(knowledge.refreshedAt, new Date(scannedAt))})`
      : '';
    return { kind: 'refused', reason: 'not-yours', message: `Not in this door's list of your tickets${asOf}.` };
  }
  const revoked = knowledge.revoked[revokedKey(parsed.ticketId, parsed.generation)];
  if (revoked) return { kind: 'void', title: ticket.title, reason: revoked.reason };
  if (parsed.generation < ticket.generation) return { kind: 'void', title: ticket.title, reason: 'replaced' };
  const offlineAt = admittedOffline.get(parsed.ticketId);
  const admittedAt = ticket.admittedAt ?? knowledge.admittedHere[parsed.ticketId];
  if (admittedAt) return { kind: 'already-admitted', title: ticket.title, firstAdmittedAt: admittedAt };
  if (offlineAt)
    return { kind: 'already-admitted', title: ticket.title, firstAdmittedAt: offlineAt, offlineHere: true };
  if (ticket.closesAt && Date.parse(scannedAt) > Date.parse(ticket.closesAt)) {
    return { kind: 'expired', title: ticket.title, closedAt: ticket.closesAt };
  }
  return { kind: 'admitted-offline', title: ticket.title, scannedAt };
}
