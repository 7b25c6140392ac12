/**
 * `@ticketing/common/pass-code`: the format of a pass's code, the one thing the tickets service (which signs
 * codes) and the door page (which checks them offline) must agree on. No Node.js API: the web app bundles it.
 *
 * A code is 85 bytes written in RFC 4648 base32 without padding (136 characters of `A–Z2–7`, all in a QR code's
 * alphanumeric set, which packs them into a version 7 symbol: 45 modules a side, easy to scan from a screen):
 *
 *   byte 0        the format, {@link PASS_CODE_FORMAT}
 *   bytes 1–16    the ticket's id, as its issuer listed it (the UUID's 16 bytes)
 *   bytes 17–20   the generation, an unsigned 32-bit big-endian integer (1 for the first holder)
 *   bytes 21–84   the Ed25519 signature of bytes 0–20 with the marketplace's pass key
 *
 * Reading is forgiving where people type: case, spaces and hyphens are ignored.
 */

/** The first byte of every code of this format. */
export const PASS_CODE_FORMAT = 1;
/** Bytes signed: the format, the ticket id and the generation. */
export const PASS_CODE_SIGNED_BYTES = 21;
/** An Ed25519 signature's length. */
export const PASS_CODE_SIGNATURE_BYTES = 64;
/** Characters in a code: 85 bytes of base32. */
export const PASS_CODE_LENGTH = Math.ceil(((PASS_CODE_SIGNED_BYTES + PASS_CODE_SIGNATURE_BYTES) * 8) / 5);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a code says, before its signature is checked. */
export interface PassCodeContent {
  /** The ticket as its issuer listed it, lower-case UUID. */
  ticketId: string;
  generation: number;
}

/** A code read apart: what it says, the bytes that were signed, and the signature over them. */
export interface ParsedPassCode extends PassCodeContent {
  signed: Uint8Array;
  signature: Uint8Array;
}

/** The bytes a code's signature covers. */
export function passCodeSignedBytes({ ticketId, generation }: PassCodeContent): Uint8Array {
  if (!UUID.test(ticketId)) throw new RangeError(`not a UUID: ${ticketId}`);
  if (!Number.isInteger(generation) || generation < 1 || generation > 0xffffffff) {
    throw new RangeError(`not a generation: ${generation}`);
  }
  const bytes = new Uint8Array(PASS_CODE_SIGNED_BYTES);
  bytes[0] = PASS_CODE_FORMAT;
  const hex = ticketId.replaceAll('-', '');
  for (let i = 0; i < 16; i++) bytes[1 + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  new DataView(bytes.buffer).setUint32(17, generation, false);
  return bytes;
}

/** The code for these signed bytes and their signature. */
export function formatPassCode(signed: Uint8Array, signature: Uint8Array): string {
  if (signed.length !== PASS_CODE_SIGNED_BYTES || signature.length !== PASS_CODE_SIGNATURE_BYTES) {
    throw new RangeError('a pass code is 21 signed bytes and a 64-byte signature');
  }
  const bytes = new Uint8Array(PASS_CODE_SIGNED_BYTES + PASS_CODE_SIGNATURE_BYTES);
  bytes.set(signed, 0);
  bytes.set(signature, PASS_CODE_SIGNED_BYTES);
  return toBase32(bytes);
}

/**
 * Reads a code apart, or answers undefined for text that is not a code of this format (wrong length,
 * characters or first byte). Says nothing about the signature: check it with the published key.
 */
export function parsePassCode(text: string): ParsedPassCode | undefined {
  const normalised = text.replace(/[\s-]/g, '').toUpperCase();
  if (normalised.length !== PASS_CODE_LENGTH) return undefined;
  const bytes = fromBase32(normalised);
  if (!bytes || bytes[0] !== PASS_CODE_FORMAT) return undefined;
  const signed = bytes.slice(0, PASS_CODE_SIGNED_BYTES);
  const hex = Array.from(signed.subarray(1, 17), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const ticketId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const generation = new DataView(signed.buffer, signed.byteOffset).getUint32(17, false);
  if (generation < 1) return undefined;
  return { ticketId, generation, signed, signature: bytes.slice(PASS_CODE_SIGNED_BYTES) };
}

/** The normal written form of a code: upper case, nothing between the characters. */
export function normalisePassCode(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase();
}

function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const character of text) {
    const value = ALPHABET.indexOf(character);
    if (value < 0) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 255;
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // The padding bits of the last character are zero in every code we write.
  return buffer === 0 ? out : undefined;
}
