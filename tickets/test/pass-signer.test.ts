import { randomBytes, randomUUID } from 'node:crypto';
import { PASS_CODE_LENGTH, parsePassCode } from '@ticketing/common/pass-code';
import { TEST_PASS_SIGNING_KEY } from '@ticketing/common/testing';
import { PassSigner } from '../src/passes/pass-signer';

const signer = PassSigner.fromEnvironment(TEST_PASS_SIGNING_KEY);

describe('pass codes', () => {
  it('when a code is issued, then it reads back as its ticket and generation, in QR alphanumeric characters', () => {
    const ticketId = randomUUID();
    const code = signer.codeFor({ ticketId, generation: 3 });
    expect(code).toHaveLength(PASS_CODE_LENGTH);
    expect(code).toMatch(/^[A-Z2-7]+$/);
    expect(signer.read(code)).toEqual({ ticketId, generation: 3 });
  });

  it('when a door types a code in lower case with spaces and hyphens, then it reads the same', () => {
    const ticketId = randomUUID();
    const code = signer.codeFor({ ticketId, generation: 1 });
    const typed = `${code.slice(0, 40).toLowerCase()} ${code.slice(40, 90)}-${code.slice(90)}`;
    expect(signer.read(typed)).toEqual({ ticketId, generation: 1 });
  });

  it('when a code is signed with another key, then it is forged', () => {
    const stranger = new PassSigner(randomBytes(32));
    expect(signer.read(stranger.codeFor({ ticketId: randomUUID(), generation: 1 }))).toBe('forged');
  });

  it('when a holder raises the generation in their code, then the signature no longer matches', () => {
    const code = signer.codeFor({ ticketId: randomUUID(), generation: 1 });
    const parsed = parsePassCode(code)!;
    const bytes = Buffer.concat([Buffer.from(parsed.signed), Buffer.from(parsed.signature)]);
    bytes.writeUInt32BE(2, 17);
    const tampered = base32(bytes);
    expect(parsePassCode(tampered)?.generation).toBe(2);
    expect(signer.read(tampered)).toBe('forged');
  });

  it('when the text is not a code, then it is malformed', () => {
    expect(signer.read('')).toBe('malformed');
    expect(signer.read('A'.repeat(PASS_CODE_LENGTH - 1))).toBe('malformed');
    expect(signer.read('1'.repeat(PASS_CODE_LENGTH))).toBe('malformed');
    // Right length and alphabet, wrong format byte.
    expect(signer.read('A'.repeat(PASS_CODE_LENGTH))).toBe('malformed');
  });

  it('publishes the 32-byte public key, and one key id per key', () => {
    expect(Buffer.from(signer.published.publicKey, 'base64url')).toHaveLength(32);
    expect(signer.published.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(new PassSigner(randomBytes(32)).published.keyId).not.toBe(signer.published.keyId);
  });
});

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}
