import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random alphanumerics; 24 of them make collisions in one emulator run impossible in practice. */
export function randomToken(length = 24): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += ALPHABET[byte % ALPHABET.length];
  return token;
}

/** A Stripe-looking id: `pi_…`, `ch_…`, `re_…`, `evt_…`, `req_…`. */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomToken()}`;
}

/** Unix time in seconds, as in every Stripe `created` field. */
export function unixSeconds(date = new Date()): number {
  return Math.floor(date.getTime() / 1000);
}
