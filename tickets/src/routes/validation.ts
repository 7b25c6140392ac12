import type { Request } from 'express';
import { body, query } from 'express-validator';
import { MAX_PRICE_CENTS, MIN_PRICE_CENTS, centsFromDecimal, decimalFromCents } from '@ticketing/common';
import { decodeCursor } from '../tickets/cursor';
import type { TicketInput } from '../tickets/ticket-view';

export const TITLE_MAX = 120;
export const PAGE_SIZE_DEFAULT = 20;
export const PAGE_SIZE_MAX = 100;

const TITLE_MESSAGE = `Title must be 1 to ${TITLE_MAX} characters`;
export const PRICE_MESSAGE = `Price must be from ${decimalFromCents(MIN_PRICE_CENTS).toFixed(2)} to ${decimalFromCents(MAX_PRICE_CENTS).toFixed(2)} with at most 2 decimals`;
const LIMIT_MESSAGE = `Limit must be an integer from 1 to ${PAGE_SIZE_MAX}`;

export const titleField = () =>
  body('title')
    .isString()
    .withMessage(TITLE_MESSAGE)
    .bail()
    .trim()
    .isLength({ min: 1, max: TITLE_MAX })
    .withMessage(TITLE_MESSAGE);

/** A decimal (20.5) or numeric string ("20.50") with at most two decimals, in the range Stripe can charge. */
export const priceField = () =>
  body('price')
    .custom((value: unknown) => centsFromDecimal(value) !== undefined)
    .withMessage(PRICE_MESSAGE);

/** The validated body's price in cents. */
export function priceInCents(req: Request): number {
  const price = centsFromDecimal(req.body.price);
  if (price === undefined) throw new Error('priceInCents used before priceField validated the body');
  return price;
}

/** The validated body of a create or edit: trimmed title, price in cents. */
export function ticketInput(req: Request): TicketInput {
  return { title: req.body.title as string, price: priceInCents(req) };
}

// One value each: `?limit=1&limit=2` arrives as an array and is refused like any other bad value.
export const limitParameter = () =>
  query('limit')
    .optional()
    .isString()
    .withMessage(LIMIT_MESSAGE)
    .bail()
    .isInt({ min: 1, max: PAGE_SIZE_MAX, allow_leading_zeroes: false })
    .withMessage(LIMIT_MESSAGE);

export const cursorParameter = () =>
  query('cursor')
    .optional()
    .custom((value: unknown) => decodeCursor(value) !== undefined)
    .withMessage('Cursor is not valid');
