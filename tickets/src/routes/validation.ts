import type { Request, RequestHandler } from 'express';
import { RequestValidationError } from '@ticketing/common/errors';
import { body, query } from 'express-validator';
import { MAX_PRICE_CENTS, MIN_PRICE_CENTS, centsFromDecimal, decimalFromCents } from '@ticketing/common/money';
import { canonicalTimeZone, parseEventStart } from '../tickets/event-start';
import {
  TICKET_SORTS,
  cursorProblem,
  hasSearchWords,
  parseDateBound,
  parsePriceBound,
  type TicketSearch,
  type TicketSort,
} from '../tickets/ticket-search';
import type { TicketInput } from '../tickets/ticket-view';

export const TITLE_MAX = 120;
export const VENUE_MAX = 120;
export const SEARCH_TEXT_MAX = 200;
export const PAGE_SIZE_DEFAULT = 20;
export const PAGE_SIZE_MAX = 100;

const TITLE_MESSAGE = `Title must be 1 to ${TITLE_MAX} characters`;
export const PRICE_MESSAGE = `Price must be from ${decimalFromCents(MIN_PRICE_CENTS).toFixed(2)} to ${decimalFromCents(MAX_PRICE_CENTS).toFixed(2)} with at most 2 decimals`;
const LIMIT_MESSAGE = `Limit must be an integer from 1 to ${PAGE_SIZE_MAX}`;
const VENUE_MESSAGE = `Venue must be 1 to ${VENUE_MAX} characters`;
const SORT_MESSAGE = `sort must be one of ${TICKET_SORTS.join(', ')}`;
const STARTS_AT_MESSAGE = 'Start must be an ISO 8601 date and time with an offset, e.g. 2031-06-12T20:00:00+02:00';
const STARTS_IN_FUTURE_MESSAGE = 'Start must be in the future';
const TIME_ZONE_MESSAGE = 'Time zone must be an IANA time zone name, e.g. Europe/Paris';

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

/** A length as express-validator's `isLength` counts it: an emoji or a character with its variation selector is one. */
function displayLength(text: string): number {
  const presentationSequences = text.match(/[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g)?.length ?? 0;
  const surrogatePairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0;
  return text.length - presentationSequences - surrogatePairs;
}

/** A string field trimmed (whitespace as `\s`) and 1 to `max` characters long; undefined if it is not. */
function trimmedText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/^\s+|\s+$/g, '');
  const length = displayLength(trimmed);
  return length >= 1 && length <= max ? trimmed : undefined;
}

/**
 * A listing's or an edit's fields, checked in one pass, the first problem of each field in this order: the
 * title, a string of 1 to 120 characters once trimmed; the price (see {@link priceField}); the venue, optional
 * (older clients send none; null removes it from an edit), else like the title; the start, optional or null,
 * else an ISO 8601 date and time with an offset (the venue's clock), later than now (nobody sells a ticket to
 * an event that has begun); the time zone, optional or null, else a zone `Intl` knows by its IANA name
 * (`Europe/Paris`). The 400 envelope has one entry per invalid field; else the title and venue are trimmed in
 * the body and the request goes on. A listing is the most frequent write: as five express-validator chains
 * this was a tenth of its CPU.
 */
export const validateTicketFields: RequestHandler = (req, _res, next) => {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const errors: { message: string; field: string }[] = [];
  const title = trimmedText(body.title, TITLE_MAX);
  if (title === undefined) errors.push({ message: TITLE_MESSAGE, field: 'title' });
  if (centsFromDecimal(body.price) === undefined) errors.push({ message: PRICE_MESSAGE, field: 'price' });
  const venue = body.venue == null ? undefined : trimmedText(body.venue, VENUE_MAX);
  if (body.venue != null && venue === undefined) errors.push({ message: VENUE_MESSAGE, field: 'venue' });
  if (body.startsAt != null) {
    const start = parseEventStart(body.startsAt);
    if (start === undefined) errors.push({ message: STARTS_AT_MESSAGE, field: 'startsAt' });
    else if (start.at.getTime() <= Date.now()) errors.push({ message: STARTS_IN_FUTURE_MESSAGE, field: 'startsAt' });
  }
  if (body.timeZone != null && canonicalTimeZone(body.timeZone) === undefined) {
    errors.push({ message: TIME_ZONE_MESSAGE, field: 'timeZone' });
  }
  if (errors.length > 0) throw new RequestValidationError(errors);
  body.title = title;
  if (venue !== undefined) body.venue = venue;
  next();
};

/** The validated body of a create or edit: trimmed title and venue, price in cents, the start, the zone. */
export function ticketInput(req: Request): TicketInput {
  const price = priceInCents(req);
  const { venue, startsAt, timeZone } = req.body as {
    venue?: string | null;
    startsAt?: string | null;
    timeZone?: string | null;
  };
  return {
    title: req.body.title as string,
    price,
    venue,
    startsAt: startsAt === undefined || startsAt === null ? startsAt : parseEventStart(startsAt),
    timeZone: timeZone === undefined || timeZone === null ? timeZone : canonicalTimeZone(timeZone),
  };
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

/** The sort a request asked for; the default when it asked for none (or for one that is refused anyway). */
function requestedSort(req: Request): TicketSort {
  const sort: unknown = req.query.sort;
  return TICKET_SORTS.find((known) => known === sort) ?? 'newest';
}

// A cursor belongs to one sort: its key means nothing in another.
export const cursorParameter = () =>
  query('cursor')
    .optional()
    .custom((value: unknown, { req }) => {
      const problem = cursorProblem(value, requestedSort(req as Request));
      if (problem) throw new Error(problem);
      return true;
    });

const priceBoundParameter = (name: 'minPrice' | 'maxPrice') =>
  query(name)
    .optional()
    .custom((value: unknown) => parsePriceBound(value) !== undefined)
    .withMessage(`${name} must be a decimal from 0 to 999999.99 with at most 2 decimals`);

const dateBoundParameter = (name: 'from' | 'to') =>
  query(name)
    .optional()
    .custom((value: unknown) => parseDateBound(value) !== undefined)
    .withMessage(`${name} must be a date (2031-06-12) or an ISO 8601 date and time with an offset`);

/** The search and sort of the for-sale list; each refused value is a 400 naming its parameter. */
export const searchParameters = () => [
  query('q')
    .optional()
    .isString()
    .withMessage(`q must be one text of at most ${SEARCH_TEXT_MAX} characters`)
    .bail()
    .isLength({ max: SEARCH_TEXT_MAX })
    .withMessage(`q must be one text of at most ${SEARCH_TEXT_MAX} characters`),
  priceBoundParameter('minPrice'),
  priceBoundParameter('maxPrice'),
  dateBoundParameter('from'),
  dateBoundParameter('to'),
  // isIn alone would pass `?sort=price&sort=date`, checking each value of the array.
  query('sort').optional().isString().withMessage(SORT_MESSAGE).bail().isIn(TICKET_SORTS).withMessage(SORT_MESSAGE),
];

/** The parameters of the search a request made, by name, as it spelled them: what its next page repeats. */
export const SEARCH_PARAMETER_NAMES = ['q', 'minPrice', 'maxPrice', 'from', 'to', 'sort'] as const;

/** The validated search of a request (after searchParameters). */
export function ticketSearch(req: Request): TicketSearch {
  const { q, minPrice, maxPrice, from, to } = req.query as Partial<Record<string, string>>;
  return {
    text: q !== undefined && hasSearchWords(q) ? q : undefined,
    minPrice: parsePriceBound(minPrice),
    maxPrice: parsePriceBound(maxPrice),
    from: parseDateBound(from),
    to: parseDateBound(to),
    sort: requestedSort(req),
  };
}
