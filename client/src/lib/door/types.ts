/**
 * The check-in API as the door page reads it (the contract of issue 18, `POST /api/checkins` and the offline
 * downloads). Local types for now: they become the generated ones from `@ticketing/common/api` when the routes
 * and docs/openapi.yaml land.
 */

/** `POST /api/checkins`: `nonce` is fresh per scan (the same nonce again gets the stored answer). */
export interface CheckinRequest {
  code: string;
  nonce: string;
  /** ISO 8601, when the door scanned the code (an offline scan keeps its own time). */
  scannedAt: string;
}

/** 201. */
export interface CheckinAdmitted {
  result: 'admitted';
  ticketId: string;
  title: string;
  holderEmail: string;
  admittedAt: string;
  scannedAt: string;
}

export type PassVoidReason = 'resold' | 'transferred';

/** 409: the pass was used, replaced, closed or is on sale again. */
export type CheckinRefused =
  | { result: 'already-admitted'; ticketId: string; title: string; holderEmail: string; firstAdmittedAt: string }
  | { result: 'void'; ticketId: string; title: string; reason: PassVoidReason; voidedAt: string }
  | { result: 'listed-for-resale'; ticketId: string; title: string }
  | { result: 'expired'; ticketId: string; title: string; closedAt: string };

export type CheckinAnswer = CheckinAdmitted | CheckinRefused;

/** `GET /api/checkins/key` (public). */
export interface PublishedPassKey {
  algorithm: 'Ed25519';
  /** base64url of the raw 32-byte public key. */
  publicKey: string;
  keyId: string;
}

/** One item of `GET /api/checkins/tickets`: one of the issuer's tickets that has a pass. */
export interface DoorTicket {
  /** The ticket as its issuer listed it: what a code names. */
  ticketId: string;
  title: string;
  venue: string | null;
  startsAt: string | null;
  timeZone: string | null;
  /** The current generation; every lower one is void. */
  generation: number;
  /** Check-in closes here (the start plus the service's window). */
  closesAt: string | null;
  admittedAt: string | null;
}

export interface DoorTicketsResponse {
  asOf: string;
  tickets: DoorTicket[];
}

/** One item of `GET /api/checkins/revoked`: a void code of one of the issuer's tickets. */
export interface RevokedPassCode {
  ticketId: string;
  generation: number;
  reason: PassVoidReason;
  voidedAt: string;
}

export interface RevokedPassCodesResponse {
  /** Pass it back as `since` next time. */
  asOf: string;
  revoked: RevokedPassCode[];
}
