import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  formatPassCode,
  parsePassCode,
  passCodeSignedBytes,
  type PassCodeContent,
} from '@ticketing/common/pass-code';

/** PKCS #8's wrapping of a bare 32-byte Ed25519 private key (RFC 8410), before the key itself. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The marketplace's public pass key as the door page downloads it (`GET /api/checkins/key`). */
export interface PublishedPassKey {
  algorithm: 'Ed25519';
  /** The 32-byte public key, base64url. */
  publicKey: string;
  /** The first 8 bytes of the key's SHA-256, hex: names the key when it is rotated. */
  keyId: string;
}

/**
 * Signs and checks pass codes with the marketplace's Ed25519 key (`PASS_SIGNING_KEY`: its 32-byte private key,
 * base64 or base64url). Only the tickets service holds it; the door page checks codes with the public half.
 */
export class PassSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly published: PublishedPassKey;

  constructor(seed: Buffer) {
    if (seed.length !== 32) throw new RangeError('PASS_SIGNING_KEY must be a 32-byte Ed25519 private key');
    this.privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    this.publicKey = createPublicKey(this.privateKey);
    const raw = Buffer.from(this.publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    this.published = {
      algorithm: 'Ed25519',
      publicKey: raw.toString('base64url'),
      keyId: createHash('sha256').update(raw).digest('hex').slice(0, 16),
    };
  }

  /** From the environment's base64 or base64url text. */
  static fromEnvironment(key: string): PassSigner {
    return new PassSigner(Buffer.from(key.trim(), key.includes('+') || key.includes('/') ? 'base64' : 'base64url'));
  }

  /** The code of this generation of this ticket's pass. */
  codeFor(content: PassCodeContent): string {
    const signed = passCodeSignedBytes(content);
    return formatPassCode(signed, new Uint8Array(sign(null, signed, this.privateKey)));
  }

  /**
   * What a code says when it is one of ours: `malformed` when it is not a code at all, `forged` when its
   * signature is not this key's.
   */
  read(code: string): PassCodeContent | 'malformed' | 'forged' {
    const parsed = parsePassCode(code);
    if (!parsed) return 'malformed';
    if (!verify(null, parsed.signed, this.publicKey, parsed.signature)) return 'forged';
    return { ticketId: parsed.ticketId, generation: parsed.generation };
  }
}
