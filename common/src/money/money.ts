/**
 * Money is integer cents inside the system (database, events, Stripe); the HTTP API speaks decimals
 * (`20.5` means $20.50). These two functions are the only crossing points.
 */

/**
 * The prices a buyer can actually pay: Stripe's range for USD charges, $0.50 to $999,999.99. A listing
 * outside it could be reserved again and again but never bought.
 */
export const MIN_PRICE_CENTS = 50;
export const MAX_PRICE_CENTS = 99_999_999;

/** True for an amount in integer cents that Stripe will charge. */
export function isChargeableAmount(cents: number): boolean {
  return Number.isInteger(cents) && cents >= MIN_PRICE_CENTS && cents <= MAX_PRICE_CENTS;
}

/**
 * Cents from a decimal price with at most two decimals, or undefined when the value is not one, or is
 * outside the chargeable range (see {@link isChargeableAmount}). Accepts numbers and numeric strings.
 */
export function centsFromDecimal(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  // Read the digits, never multiply a float: 0.1 * 100 is not 10 in binary floating point.
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return isChargeableAmount(cents) ? cents : undefined;
}

/** The API's decimal for an amount in cents: 2050 → 20.5. */
export function decimalFromCents(cents: number): number {
  return cents / 100;
}
