import type { Pass } from './passes';
import type { QrDrawing } from './qr-svg';

/**
 * The copy of a pass a device keeps so that its page opens without a network (pure rules; the storage itself is
 * pass-storage.ts). What the page shows is the newest copy it has: the one in the HTML (from the server, or the
 * service worker's saved page) or the one kept on the device; each time the page is online it asks the API,
 * which decides: the same code is confirmed (and kept as of now), another code replaces it, a 404 removes it.
 */

/** A pass as its page shows it, with its QR drawing and when the server last said it was current. */
export interface PassCopy {
  /** The id in the page's address (`/mytickets/:id/pass`): the held listing, as My tickets links to it. */
  id: string;
  ticketId: string;
  heldTicketId: string;
  code: string;
  generation: number;
  /** Whose copy it is: My tickets removes only the signed-in visitor's copies of passes they no longer hold. */
  holderId: string;
  holderEmail: string | null;
  title: string;
  venue: string | null;
  startsAt: string | null;
  timeZone: string | null;
  admittedAt: string | null;
  qr: QrDrawing;
  /** ISO 8601: when the server last confirmed this code was the current one (the render, or a later check). */
  checkedAt: string;
}

/** The copy of a pass the server rendered at `checkedAt`. */
export function passCopy(id: string, pass: Pass, qr: QrDrawing, checkedAt: string): PassCopy {
  return {
    id,
    ticketId: pass.ticketId,
    heldTicketId: pass.heldTicketId,
    code: pass.code,
    generation: pass.generation,
    holderId: pass.holderId,
    holderEmail: pass.holderEmail,
    title: pass.title,
    venue: pass.venue,
    startsAt: pass.startsAt,
    timeZone: pass.timeZone,
    admittedAt: pass.admittedAt,
    qr,
    checkedAt,
  };
}

/**
 * The copy to show of two: the higher generation (a generation only grows, and every lower one is void), and of
 * the same generation the one checked last. Either may be missing.
 */
export function newerPassCopy(a: PassCopy | undefined, b: PassCopy | undefined): PassCopy | undefined {
  if (!a || !b) return a ?? b;
  if (a.generation !== b.generation) return a.generation > b.generation ? a : b;
  return Date.parse(b.checkedAt) > Date.parse(a.checkedAt) ? b : a;
}

/** What the API said when the page asked it for the pass (`GET /api/tickets/:id/pass`). */
export type PassCheck =
  /** 200: the current code, and whether the door has admitted it. */
  | { kind: 'current'; code: string; generation: number; admittedAt: string | null }
  /** 404: the caller holds no such pass (given or sold away, or never theirs). */
  | { kind: 'gone' }
  /** 401: the session ended; the pass may still be theirs. */
  | { kind: 'signed-out' }
  /** No answer (offline), or the service could not say. */
  | { kind: 'unreachable' };

/** What the page does after the check. */
export type PassPlan =
  /** The copy shown is current: show it, keep it on the device as checked now. */
  | { kind: 'confirmed'; copy: PassCopy }
  /** The server holds another code: remove the one kept (it is void) and render the page again for the new one. */
  | { kind: 'replace' }
  /** Not the caller's pass (any more): remove the kept copy and say so. */
  | { kind: 'gone' }
  /** No word from the server: show the newest copy there is (kept on the device if newer), as of its check. */
  | { kind: 'unchecked'; copy: PassCopy | undefined; reason: 'offline' | 'signed-out' };

/** Decides what the page shows and keeps, from the newest copy it has and the API's answer. */
export function planAfterCheck(shown: PassCopy | undefined, check: PassCheck, now: Date): PassPlan {
  switch (check.kind) {
    case 'current':
      if (shown && shown.code === check.code && shown.generation === check.generation) {
        return { kind: 'confirmed', copy: { ...shown, admittedAt: check.admittedAt, checkedAt: now.toISOString() } };
      }
      return { kind: 'replace' };
    case 'gone':
      return { kind: 'gone' };
    case 'signed-out':
      return { kind: 'unchecked', copy: shown, reason: 'signed-out' };
    case 'unreachable':
      return { kind: 'unchecked', copy: shown, reason: 'offline' };
  }
}

/** The API's answer to `GET /api/tickets/:id/pass` as a check: its status, and its body when 200. */
export function passCheckFrom(status: number, body: unknown): PassCheck {
  if (status === 200 && isCurrentPassBody(body)) {
    return { kind: 'current', code: body.code, generation: body.generation, admittedAt: body.admittedAt ?? null };
  }
  if (status === 404) return { kind: 'gone' };
  if (status === 401) return { kind: 'signed-out' };
  return { kind: 'unreachable' };
}

function isCurrentPassBody(body: unknown): body is Pick<Pass, 'code' | 'generation' | 'admittedAt'> {
  if (typeof body !== 'object' || body === null) return false;
  const pass = body as Record<string, unknown>;
  return (
    typeof pass.code === 'string' &&
    typeof pass.generation === 'number' &&
    (pass.admittedAt === null || pass.admittedAt === undefined || typeof pass.admittedAt === 'string')
  );
}

/** What every kept copy's storage key starts with. */
export const STORED_PASS_PREFIX = 'ticketing.pass.';

/** The storage key of a pass page's copy. */
export function storedPassKey(id: string): string {
  return `${STORED_PASS_PREFIX}${id}`;
}

/**
 * A copy read back from the device's storage, or undefined when it is not one (another version of the app
 * wrote it, or someone edited it): the page then shows only what the server sent.
 */
export function readStoredPass(id: string, text: string | null): PassCopy | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const copy = value as Partial<PassCopy>;
  const strings = [copy.id, copy.ticketId, copy.heldTicketId, copy.code, copy.holderId, copy.title, copy.checkedAt];
  if (strings.some((field) => typeof field !== 'string') || copy.id !== id) return undefined;
  if (typeof copy.generation !== 'number' || Number.isNaN(Date.parse(copy.checkedAt as string))) return undefined;
  const qr = copy.qr as Partial<QrDrawing> | undefined;
  if (typeof qr?.side !== 'number' || typeof qr.path !== 'string' || !/^[0-9MhvzHVZ\s-]*$/.test(qr.path)) {
    return undefined;
  }
  for (const optional of [copy.holderEmail, copy.venue, copy.startsAt, copy.timeZone, copy.admittedAt]) {
    if (optional !== null && typeof optional !== 'string') return undefined;
  }
  return copy as PassCopy;
}

/**
 * The kept copies My tickets removes: the visitor's own (`holderId`) whose ticket is not among those they hold
 * now (`heldIds`: the listings My tickets shows), given or sold away while their pass page was closed. Another
 * account's copies on a shared device are left alone; so is everything when the list may be cut short
 * (`complete` false: the API lists the latest 200).
 */
export function copiesNoLongerHeld(
  copies: readonly PassCopy[],
  holderId: string,
  heldIds: ReadonlySet<string>,
  complete: boolean,
): string[] {
  if (!complete) return [];
  return copies.filter((copy) => copy.holderId === holderId && !heldIds.has(copy.id)).map((copy) => copy.id);
}
