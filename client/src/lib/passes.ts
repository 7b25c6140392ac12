import type { OwnedTicket } from '@ticketing/common/api';

/*
 * The passes' side of the API (issue 18), as the web app reads it. Written here from the contract while the
 * routes are being built; at merge they give way to the generated types of `@ticketing/common/api` if those
 * exist (same names, same fields).
 */

/** `GET /api/tickets/:id/pass`: the caller's pass for a ticket they hold (404 otherwise). */
export interface Pass {
  /** The ticket as its issuer listed it (the root of the resale chain): what the code names. */
  ticketId: string;
  /** The listing the holder's pass came through (what `/api/tickets/owned` calls `id`). */
  heldTicketId: string;
  /** 136 characters of base32 (`@ticketing/common/pass-code`): what the QR code holds. */
  code: string;
  /** 1 for the first holder, +1 at each change of holder; every lower generation is void. */
  generation: number;
  holderId: string;
  /** Null while the tickets service's copy of the accounts has not heard of the holder yet. */
  holderEmail: string | null;
  title: string;
  venue: string | null;
  startsAt: string | null;
  timeZone: string | null;
  issuedAt: string;
  /** When the door admitted it; null until then. */
  admittedAt: string | null;
}

/** `POST /api/tickets/:id/transfer` → 200. */
export interface TransferResponse {
  ticketId: string;
  heldTicketId: string;
  /** The recipient, the new holder. */
  holderEmail: string;
  generation: number;
  transferredAt: string;
}

/** `GET /api/tickets/owned`: a held ticket (`id` is the held listing) with its pass's root id and generation. */
export type OwnedPassTicket = OwnedTicket & {
  ticketId: string;
  generation: number;
  admittedAt: string | null;
};

/** What `GET /api/tickets/owned/stream` sends (event `owned`) when a pass is issued to or taken from the caller. */
export interface OwnedChange {
  ticketId: string;
  generation: number;
}

/** The caller's held passes, live. */
export const OWNED_STREAM_PATH = '/api/tickets/owned/stream';

const segment = (id: string) => encodeURIComponent(id);

/** The pass as JSON. */
export const passApiPath = (id: string) => `/api/tickets/${segment(id)}/pass`;
/** One printable page with the QR code. */
export const passPdfPath = (id: string) => `/api/tickets/${segment(id)}/pass.pdf`;
/** The event for a calendar. */
export const passCalendarPath = (id: string) => `/api/tickets/${segment(id)}/pass.ics`;
/** The pass page, readable offline once opened. */
export const passPagePath = (id: string) => `/mytickets/${segment(id)}/pass`;
