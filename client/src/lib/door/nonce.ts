/**
 * A fresh nonce for each scan: the service stores its answer under it, so an upload after a lost answer gets
 * the same one. `crypto.randomUUID` exists only in secure contexts (https, localhost); a door reached over plain
 * http elsewhere still gets a random v4 UUID from `getRandomValues`, which exists everywhere.
 */
export function newScanNonce(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
