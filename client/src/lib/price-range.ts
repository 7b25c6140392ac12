/**
 * The listing prices a buyer can actually pay, in dollars: Stripe's range for USD charges. The same range as
 * `MIN_PRICE_CENTS` and `MAX_PRICE_CENTS` in @ticketing/common (a unit test holds them equal); the client does
 * not depend on common, whose index pulls in the services' server code. The API is still the judge: the form
 * only uses these for its hint and its input's bounds.
 */
export const MIN_PRICE = 0.5;
export const MAX_PRICE = 999_999.99;
