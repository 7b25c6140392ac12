/**
 * `@ticketing/common/api`: the requests and answers of Ticketing's public HTTP API, by name. They are
 * generated from docs/openapi.yaml (./openapi.ts), the document served at `/api/docs`, whose every route the
 * end-to-end contract test calls on the real services; so these types, the document and what the services
 * send are one thing. Types only: this entry has no runtime code, so the web app imports it without pulling
 * in any server code.
 *
 * Money: ticket and order prices are dollars with at most two decimals (`20.5` is $20.50); a charge's
 * `amount` is integer cents. Times are ISO 8601 strings.
 */
import type { components } from './openapi';

export type { components, operations, paths } from './openapi';

type Schemas = components['schemas'];

/** The body of every error answer, whatever its status: `{ errors: [{ message, field? }] }`. */
export type ErrorEnvelope = Schemas['ErrorEnvelope'];
/** One problem with a request; `field` names the request field it is about, when there is one. */
export type ErrorItem = Schemas['ErrorItem'];

/** An account as its owner sees it: the answer of sign-up, sign-in and `PATCH /api/users/currentuser`. */
export type User = Schemas['User'];
/** `GET /api/users/currentuser`: the signed-in user, or null for a visitor (never an error). */
export type CurrentUserResponse = Schemas['CurrentUserResponse'];
/** `POST /api/users/signout`: an empty object. */
export type SignOutRequest = Schemas['SignOutRequest'];
export type SignOutResponse = Schemas['SignOutResponse'];
export type SignUpRequest = Schemas['SignUpRequest'];
export type SignInRequest = Schemas['SignInRequest'];
/** The current password, and at least one of `email` and `password`. */
export type UpdateCurrentUserRequest = Schemas['UpdateCurrentUserRequest'];

/**
 * A ticket as anyone sees it: `status` says whether an order holds it (`reserved`) or bought it (`sold`), never
 * which order.
 */
export type Ticket = Schemas['Ticket'];
/** `available`, `reserved`, `sold` or `withdrawn`: what anyone may know of a ticket's holder. */
export type TicketStatus = Ticket['status'];
/** What a seller sends to list (`POST /api/tickets`) or edit (`PUT /api/tickets/{id}`) a ticket. */
export type TicketInput = Schemas['TicketInput'];
/**
 * `GET /api/tickets/owned`: a ticket whose pass the user holds (bought, or transferred to them): the listing it
 * came through (`id`), the ticket as its issuer listed it (`ticketId`), the code's `generation`, `admittedAt`,
 * the price paid, the resale cap and its resale listing.
 */
export type OwnedTicket = Schemas['OwnedTicket'];
/**
 * `GET /api/tickets/{id}/pass`: the holder's pass with its current code (`code`, what the QR code shows) and the
 * event; `holderEmail` is null while tickets' copy of the accounts has not heard of the holder yet.
 */
export type Pass = Schemas['Pass'];
/** What a holder sends to hand their pass on (`POST /api/tickets/{id}/transfer`). */
export type TransferRequest = Schemas['TransferRequest'];
/** A transfer done: the recipient's email and generation (the caller's code, one lower, is void). */
export type TransferResponse = Schemas['TransferResponse'];
/** `data:` of `event: owned` on `GET /api/tickets/owned/stream`: a pass issued to or taken from the caller. */
export type OwnedChange = Schemas['OwnedChange'];
/** What an owner sends to list a bought ticket again (`POST /api/tickets/{id}/resale`). */
export type ResaleInput = Schemas['ResaleInput'];

/**
 * The `Link` header of a `GET /api/tickets` page that has a next one (RFC 8288): its target is the next page.
 * A page without the header is the last. The cursor is opaque.
 */
export type TicketsNextPageLink = `</api/tickets?limit=${number}&cursor=${string}>; rel="next"`;

export type OrderStatus = Schemas['OrderStatus'];
/** An order as its buyer sees it; `ticket.price` is the price it was placed at, never the ticket's current one. */
export type Order = Schemas['Order'];
export type CreateOrderRequest = Schemas['CreateOrderRequest'];
export type JoinWaitingListRequest = Schemas['JoinWaitingListRequest'];
/** A buyer's place in a ticket's waiting list (`POST /api/orders/waitlist`); `position` is 1 for the first in line. */
export type WaitingListEntry = Schemas['WaitingListEntry'];
/** One of the buyer's places (`GET /api/orders/waitlist`); `ticket.price` is the price they joined at. */
export type WaitingPlace = Schemas['WaitingPlace'];

/** `GET /api/checkins/key`: the Ed25519 public key a door checks pass codes with offline. */
export type PassKey = Schemas['PassKey'];
/** One scan at the door (`POST /api/checkins`): the code, the scan's nonce, and when it was scanned if offline. */
export type CheckinRequest = Schemas['CheckinRequest'];
/** Why a pass code stopped being current: `resold` or `transferred`. */
export type PassVoidReason = Schemas['PassVoidReason'];
/** The 201 of a check-in: the holder is admitted. */
export type CheckinAdmitted = Schemas['CheckinAdmitted'];
/** A 409 of a check-in that says why nobody was admitted (`result`). */
export type CheckinRefused = Schemas['CheckinRefused'];
/** What `POST /api/checkins` answers for a scan that named a ticket (201 or 409), by `result`. */
export type CheckinAnswer = CheckinAdmitted | CheckinRefused;
/** The `result` of a check-in: `admitted`, `already-admitted`, `void`, `listed-for-resale` or `expired`. */
export type CheckinResult = CheckinAnswer['result'];
/** One admission (`GET /api/checkins`). */
export type Checkin = Schemas['Checkin'];
/** `GET /api/checkins`: the issuer's admissions. */
export type CheckinList = Schemas['CheckinList'];
/** `GET /api/checkins/revoked`: the issuer's void codes, and the `asOf` to send as `since` next. */
export type RevokedCodes = Schemas['RevokedCodes'];
/** One void code of {@link RevokedCodes}. */
export type RevokedCode = RevokedCodes['revoked'][number];
/** `GET /api/checkins/tickets`: what an offline door needs of each of the issuer's tickets. */
export type DoorTickets = Schemas['DoorTickets'];
/** One ticket of {@link DoorTickets}. */
export type DoorTicket = DoorTickets['tickets'][number];

export type ChargeStatus = Schemas['ChargeStatus'];
/** One payment attempt; `amount` in integer cents, `stripeId` null while the outcome is not known. */
export type Charge = Schemas['Charge'];
export type CreatePaymentRequest = Schemas['CreatePaymentRequest'];
/** The answer to a Stripe webhook delivery that was handled. */
export type WebhookReceipt = Schemas['WebhookReceipt'];
