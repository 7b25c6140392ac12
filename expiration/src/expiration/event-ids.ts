import { createHash } from 'node:crypto';

/**
 * The namespace of every id this service derives (a fixed, randomly chosen UUID: changing it would change
 * every derived id, and a re-run after a deploy would no longer be recognised as a duplicate).
 */
export const EXPIRATION_EVENT_NAMESPACE = '3f6c2a8e-5d41-4b7a-9c0e-8f2d1b6a7e54';

/**
 * A name-based UUID (RFC 9562 §5.5, version 5): SHA-1 over the namespace's 16 bytes and the name, the
 * first 16 bytes of the digest with the version nibble set to 5 and the variant bits to 10. Any UUID
 * library's `v5(name, namespace)` gives the same value.
 */
export function nameBasedUuid(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The envelope id of an order's `order.expired`, derived from the order id alone: a timer that runs
 * twice (a retry after a lost publish ack, a job recovered from a crashed worker) publishes the same id,
 * and JetStream drops the copy inside its duplicate window.
 */
export function orderExpiredEventId(orderId: string): string {
  return nameBasedUuid(EXPIRATION_EVENT_NAMESPACE, `order.expired:${orderId}`);
}
