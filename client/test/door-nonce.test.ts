import { newScanNonce } from '@/lib/door/nonce';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the nonce of each scan', () => {
  it('when crypto.randomUUID exists, then each scan gets a fresh v4 UUID', () => {
    const nonces = new Set(Array.from({ length: 50 }, newScanNonce));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(UUID_V4);
  });

  it('when the page is not a secure context (no randomUUID), then it still makes a fresh v4 UUID', () => {
    const randomUUID = crypto.randomUUID;
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      expect(crypto.randomUUID).toBeUndefined();
      const nonces = new Set(Array.from({ length: 50 }, newScanNonce));
      expect(nonces.size).toBe(50);
      for (const nonce of nonces) expect(nonce).toMatch(UUID_V4);
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: randomUUID, configurable: true });
    }
  });
});
