import type { OwnedTicket } from '@ticketing/common/api';

export type { OwnedChange, Pass, TransferResponse } from '@ticketing/common/api';

/** `GET /api/tickets/owned`: a held ticket (`id` is the held listing) with its pass's root id and generation. */
export type OwnedPassTicket = OwnedTicket;

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
