import type { CheckinAdmitted, CheckinAnswer } from './types';

/**
 * What one request to the API came back with, as the door needs to tell it apart: no answer at all (the network
 * is gone, or the request timed out) is not the same as an answer, whatever its status.
 */
export type DoorResponse = { kind: 'network-error' } | { kind: 'answer'; status: number; body: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasStrings(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.every((key) => typeof value[key] === 'string');
}

/** A 201 or 409 body of `POST /api/checkins`, or undefined when it is not one the door knows how to read. */
export function readCheckinAnswer(body: unknown): CheckinAnswer | undefined {
  if (!isRecord(body)) return undefined;
  switch (body.result) {
    case 'admitted':
      return hasStrings(body, ['ticketId', 'title', 'holderEmail', 'admittedAt'])
        ? (body as unknown as CheckinAdmitted)
        : undefined;
    case 'already-admitted':
      return hasStrings(body, ['ticketId', 'title', 'firstAdmittedAt'])
        ? (body as unknown as CheckinAnswer)
        : undefined;
    case 'void':
      return hasStrings(body, ['ticketId', 'title']) && (body.reason === 'resold' || body.reason === 'transferred')
        ? (body as unknown as CheckinAnswer)
        : undefined;
    case 'listed-for-resale':
      return hasStrings(body, ['ticketId', 'title']) ? (body as unknown as CheckinAnswer) : undefined;
    case 'expired':
      return hasStrings(body, ['ticketId', 'title']) ? (body as unknown as CheckinAnswer) : undefined;
    default:
      return undefined;
  }
}

/** The messages of an error envelope `{ errors: [{ message }] }`; empty when the body is not one. */
export function envelopeMessages(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  return body.errors
    .map((item: unknown) => (isRecord(item) && typeof item.message === 'string' ? item.message : undefined))
    .filter((message): message is string => message !== undefined);
}

/**
 * No answer the door can act on: the network is gone, or the service (or the edge in front of it) failed.
 * The door then checks the code itself and keeps the scan for later, with its nonce: if the request did reach
 * the service, the same nonce brings back the answer it stored.
 */
export function isUnavailable(response: DoorResponse): boolean {
  return response.kind === 'network-error' || response.status >= 500 || response.status === 408;
}
