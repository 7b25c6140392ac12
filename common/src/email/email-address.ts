import { z } from 'zod';

/** RFC 5321's limits, in UTF-8 octets as the RFC counts them (an ASCII character is one). */
export const EMAIL_MAX_OCTETS = 254;
export const EMAIL_LOCAL_PART_MAX_OCTETS = 64;

/**
 * One atom of the local part: RFC 5322 `atext` (ASCII letters, digits and ``!#$%&'*+/=?^_`{|}~-``, as the
 * WHATWG `<input type=email>` rule has them) plus, as RFC 6531 allows, any Unicode letter, mark or number.
 */
const LOCAL_ATOM = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+$/u;
/** A domain label, as the WHATWG rule has it: letters, digits and inner hyphens, 1–63 long. */
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const ALL_DIGITS = /^[0-9]+$/;

const encoder = new TextEncoder();
const octets = (text: string) => encoder.encode(text).length;

/**
 * Whether `address` is an email address Ticketing accepts, the one definition the routes that take an email
 * and the event catalog share (an event must never refuse what a route accepted).
 *
 * The WHATWG `<input type=email>` rule, with three differences: the local part is a dot-atom (no leading,
 * trailing or doubled dot, which mail servers refuse), it may hold Unicode letters, marks and numbers
 * (RFC 6531, `josé@example.com`), and the domain needs a dot and a last label that is not all digits
 * (`a@localhost` and `a@1.2.3.4` are refused, as they were before). No quoted local parts, no IP literals,
 * no Unicode domains (a browser sends those as punycode, `xn--…`, which passes). At most 254 octets in all
 * and 64 in the local part. Checks the address as given: callers that store it normalised
 * ({@link normalizeEmailAddress}) check the normalised form.
 */
export function isValidEmailAddress(address: string): boolean {
  if (octets(address) > EMAIL_MAX_OCTETS) return false;
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (octets(local) > EMAIL_LOCAL_PART_MAX_OCTETS) return false;
  if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom))) return false;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  return !ALL_DIGITS.test(labels[labels.length - 1] as string);
}

/**
 * The form an email is stored, compared and published in: trimmed, Unicode NFC (so `é` typed as one code
 * point or as `e` + accent is one account), lower-cased (`Ann@X.com` and `ann@x.com` are one account).
 * Lower-casing can lengthen a string (`İ` becomes `i̇`), so validate the result, not the input.
 */
export function normalizeEmailAddress(address: string): string {
  return address.trim().normalize('NFC').toLowerCase();
}

/** The message every refusal of an email shows. */
export const INVALID_EMAIL_MESSAGE = 'Email must be valid';

/** The zod schema of an email address: a string that {@link isValidEmailAddress} accepts. */
export const emailAddressSchema = z.string().refine(isValidEmailAddress, { message: INVALID_EMAIL_MESSAGE });
