import type { Request } from 'express';
import { body, query } from 'express-validator';
import { parseEventStart } from '../tickets/event-start';

/** A code is 136 characters; a typed one may carry spaces and hyphens between groups. */
const CODE_MAX = 400;
/** How far ahead of the server a door's clock may be when it says when it scanned. */
export const SCANNED_AT_SKEW_MS = 5 * 60_000;

const CODE_MESSAGE = 'Code must be a pass code';
const NONCE_MESSAGE = 'Nonce must be 8 to 100 visible characters, e.g. a UUID';
const DATE_TIME_MESSAGE = 'must be an ISO 8601 date and time with an offset, e.g. 2031-06-12T20:00:00Z';

/** An ISO 8601 date and time with an offset, as an instant; undefined for anything else. */
export const parseInstant = (value: unknown): Date | undefined => parseEventStart(value)?.at;

export const checkinFields = () => [
  body('code').isString().withMessage(CODE_MESSAGE).bail().isLength({ max: CODE_MAX }).withMessage(CODE_MESSAGE),
  body('nonce')
    .isString()
    .withMessage(NONCE_MESSAGE)
    .bail()
    .matches(/^[\x21-\x7e]{8,100}$/)
    .withMessage(NONCE_MESSAGE),
  // Absent or null: the door was online and the server's clock judges.
  body('scannedAt')
    .optional({ values: 'null' })
    .custom((value: unknown) => parseInstant(value) !== undefined)
    .withMessage(`scannedAt ${DATE_TIME_MESSAGE}`)
    .bail()
    .custom((value: unknown) => (parseInstant(value)?.getTime() ?? 0) <= Date.now() + SCANNED_AT_SKEW_MS)
    .withMessage('scannedAt must not be in the future'),
];

/** The validated body of a scan. */
export function scanOf(req: Request): { code: string; nonce: string; scannedAt: Date | null } {
  const { code, nonce, scannedAt } = req.body as { code: string; nonce: string; scannedAt?: string };
  return { code, nonce, scannedAt: parseInstant(scannedAt) ?? null };
}

const ID_MESSAGE = (name: string) => `${name} must be a ticket id`;

/** `ticketId` or `event`, each one ticket id, never both. */
export const checkinFilterParameters = () => [
  query('ticketId')
    .optional()
    .isString()
    .withMessage(ID_MESSAGE('ticketId'))
    .bail()
    .isUUID()
    .withMessage(ID_MESSAGE('ticketId')),
  query('event')
    .optional()
    .isString()
    .withMessage(ID_MESSAGE('event'))
    .bail()
    .isUUID()
    .withMessage(ID_MESSAGE('event'))
    .bail()
    .custom((_value: unknown, { req }) => (req as Request).query.ticketId === undefined)
    .withMessage('Give ticketId or event, not both'),
];

export const sinceParameter = () =>
  query('since')
    .optional()
    .custom((value: unknown) => parseInstant(value) !== undefined)
    .withMessage(`since ${DATE_TIME_MESSAGE}`);
