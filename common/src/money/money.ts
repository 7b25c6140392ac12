/**
 * Money is integer cents inside the system (database, events, Stripe); the HTTP API speaks decimals
 * (`20.5` means $20.50). These two functions are the only crossing points.
 */

/** Largest price accepted: $1,000,000.00. */
export const MAX_PRICE_CENTS = 100_000_000;

/**
 * Cents from a decimal price with at most two decimals, or undefined when the value is not one
 * (negative, zero, NaN, too many decimals, too large). Accepts numbers and numeric strings.
 */
export function centsFromDecimal(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  // Read the digits, never multiply a float: 0.1 * 100 is not 10 in binary floating point.
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return cents > 0 && cents <= MAX_PRICE_CENTS ? cents : undefined;
}

/** The API's decimal for an amount in cents: 2050 → 20.5. */
export function decimalFromCents(cents: number): number {
  return cents / 100;
}
