import { generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { formatPassCode, parsePassCode, passCodeSignedBytes } from '@ticketing/common/pass-code';
import { emptyKnowledge, withAdmission, withDownload, type DoorKnowledge } from '@/lib/door/knowledge';
import { decideOffline, fromBase64Url, verifyPassSignature, type OfflineCheck } from '@/lib/door/offline-check';
import type { DoorTicket, PublishedPassKey } from '@/lib/door/types';

const TICKET_ID = '0b6f3a52-9c1e-4d8a-8f7e-2a4b6c8d0e1f';
const OTHER_ISSUERS_TICKET = '7d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e';

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const published: PublishedPassKey = { algorithm: 'Ed25519', publicKey: jwk.x as string, keyId: 'test' };
  const codeFor = (ticketId: string, generation: number) => {
    const signed = passCodeSignedBytes({ ticketId, generation });
    return formatPassCode(signed, new Uint8Array(sign(null, signed, privateKey)));
  };
  return { published, codeFor };
}

function buildDoorTicket(overrides: Partial<DoorTicket> = {}): DoorTicket {
  return {
    ticketId: TICKET_ID,
    title: 'Night at the Opera',
    venue: 'Royal Hall',
    startsAt: '2026-12-12T19:00:00.000Z',
    timeZone: 'Europe/London',
    generation: 2,
    closesAt: '2026-12-13T07:00:00.000Z',
    admittedAt: null,
    ...overrides,
  };
}

function buildKnowledge(tickets: DoorTicket[] = [buildDoorTicket()]): DoorKnowledge {
  return withDownload(emptyKnowledge(), {
    key: { algorithm: 'Ed25519', publicKey: 'unused-here', keyId: 'test' },
    tickets,
    revoked: [{ ticketId: TICKET_ID, generation: 1, reason: 'resold', voidedAt: '2026-12-10T10:00:00.000Z' }],
    revokedAsOf: '2026-12-12T18:58:00.000Z',
    refreshedAt: '2026-12-12T18:58:00.000Z',
  });
}

function check(overrides: Partial<OfflineCheck> = {}): OfflineCheck {
  return {
    parsed: { ticketId: TICKET_ID, generation: 2 },
    signature: 'valid',
    knowledge: buildKnowledge(),
    admittedOffline: new Map(),
    scannedAt: '2026-12-12T19:05:00.000Z',
    ...overrides,
  };
}

describe('the signature check of a code offline (WebCrypto Ed25519, as in the browser)', () => {
  const subtle = webcrypto.subtle as unknown as SubtleCrypto;

  it('when the code was signed with the published key, then it is valid', async () => {
    const { published, codeFor } = keyPair();
    const parsed = parsePassCode(codeFor(TICKET_ID, 2))!;
    await expect(verifyPassSignature(parsed, published.publicKey, subtle)).resolves.toBe('valid');
  });

  it('when the code was signed with another key, then it is invalid', async () => {
    const ours = keyPair();
    const someoneElses = keyPair();
    const parsed = parsePassCode(someoneElses.codeFor(TICKET_ID, 2))!;
    await expect(verifyPassSignature(parsed, ours.published.publicKey, subtle)).resolves.toBe('invalid');
  });

  it('when one signed byte was changed (a generation raised by hand), then it is invalid', async () => {
    const { published, codeFor } = keyPair();
    const parsed = parsePassCode(codeFor(TICKET_ID, 2))!;
    const tampered = {
      signed: passCodeSignedBytes({ ticketId: TICKET_ID, generation: 3 }),
      signature: parsed.signature,
    };
    await expect(verifyPassSignature(tampered, published.publicKey, subtle)).resolves.toBe('invalid');
  });

  it('when the door has no key, then it says so rather than guess', async () => {
    const { codeFor } = keyPair();
    const parsed = parsePassCode(codeFor(TICKET_ID, 2))!;
    await expect(verifyPassSignature(parsed, undefined, subtle)).resolves.toBe('no-key');
    await expect(verifyPassSignature(parsed, 'not base64url!', subtle)).resolves.toBe('no-key');
  });

  it('when the browser has no WebCrypto or no Ed25519, then the check is unsupported', async () => {
    const { published, codeFor } = keyPair();
    const parsed = parsePassCode(codeFor(TICKET_ID, 2))!;
    const withoutEd25519 = {
      importKey: () => Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError')),
    } as unknown as SubtleCrypto;
    await expect(verifyPassSignature(parsed, published.publicKey, withoutEd25519)).resolves.toBe('unsupported');
    await expect(verifyPassSignature(parsed, published.publicKey, null as unknown as undefined)).resolves.toBe(
      'unsupported',
    );
  });

  it('when the key is base64url with or without padding, then it decodes to its 32 bytes', () => {
    const { published } = keyPair();
    expect(fromBase64Url(published.publicKey)).toHaveLength(32);
    expect(fromBase64Url(`${published.publicKey}=`)).toHaveLength(32);
  });
});

describe('the door’s verdict offline', () => {
  it('when the code is current, this issuer’s, not admitted and open, then it is admitted offline', () => {
    expect(decideOffline(check())).toEqual({
      kind: 'admitted-offline',
      title: 'Night at the Opera',
      scannedAt: '2026-12-12T19:05:00.000Z',
    });
  });

  it('when the text is not a code, then it is refused as malformed', () => {
    expect(decideOffline(check({ parsed: undefined }))).toMatchObject({ kind: 'refused', reason: 'malformed' });
  });

  it('when the signature is wrong, then it is refused as forged even for a ticket the door knows', () => {
    expect(decideOffline(check({ signature: 'invalid' }))).toMatchObject({ kind: 'refused', reason: 'forged' });
  });

  it('when the browser cannot verify or the key is missing, then nobody is admitted', () => {
    expect(decideOffline(check({ signature: 'unsupported' })).kind).toBe('cannot-verify-offline');
    expect(decideOffline(check({ signature: 'no-key' })).kind).toBe('cannot-verify-offline');
  });

  it('when the ticket is not in this issuer’s list, then it is refused, naming the list’s time', () => {
    const verdict = decideOffline(check({ parsed: { ticketId: OTHER_ISSUERS_TICKET, generation: 1 } }));
    expect(verdict).toMatchObject({ kind: 'refused', reason: 'not-yours' });
    expect(verdict.kind === 'refused' && verdict.message).toMatch(/list of your tickets \(list from \d\d:\d\d\)/);
  });

  it('when the code is on the revocation list, then it is void with the list’s reason', () => {
    expect(decideOffline(check({ parsed: { ticketId: TICKET_ID, generation: 1 } }))).toEqual({
      kind: 'void',
      title: 'Night at the Opera',
      reason: 'resold',
    });
  });

  it('when the code is older than the generation the door knows but not yet on its list, then it is void', () => {
    const knowledge = buildKnowledge([buildDoorTicket({ generation: 4 })]);
    expect(decideOffline(check({ knowledge, parsed: { ticketId: TICKET_ID, generation: 3 } }))).toMatchObject({
      kind: 'void',
      reason: 'replaced',
    });
  });

  it('when the code is newer than the door’s list (a pass issued since), then the signed code is admitted offline', () => {
    expect(decideOffline(check({ parsed: { ticketId: TICKET_ID, generation: 3 } })).kind).toBe('admitted-offline');
  });

  it('when the service’s list says admitted, then it is already admitted at that time', () => {
    const knowledge = buildKnowledge([buildDoorTicket({ admittedAt: '2026-12-12T19:01:00.000Z' })]);
    expect(decideOffline(check({ knowledge }))).toMatchObject({
      kind: 'already-admitted',
      firstAdmittedAt: '2026-12-12T19:01:00.000Z',
    });
  });

  it('when this door admitted it online since the last download, then it is already admitted', () => {
    const knowledge = withAdmission(buildKnowledge(), TICKET_ID, '2026-12-12T19:02:00.000Z', { here: true });
    expect(decideOffline(check({ knowledge }))).toMatchObject({
      kind: 'already-admitted',
      firstAdmittedAt: '2026-12-12T19:02:00.000Z',
    });
  });

  it('when this door admitted it offline and the scan is still queued, then a second scan is refused', () => {
    const admittedOffline = new Map([[TICKET_ID, '2026-12-12T19:03:00.000Z']]);
    expect(decideOffline(check({ admittedOffline }))).toMatchObject({
      kind: 'already-admitted',
      firstAdmittedAt: '2026-12-12T19:03:00.000Z',
      offlineHere: true,
    });
  });

  it('when a void code is scanned, then it reads void before already admitted (what the holder shows is the problem)', () => {
    const knowledge = buildKnowledge([buildDoorTicket({ admittedAt: '2026-12-12T19:01:00.000Z' })]);
    expect(decideOffline(check({ knowledge, parsed: { ticketId: TICKET_ID, generation: 1 } })).kind).toBe('void');
  });

  it('when the scan is after check-in closed, then it is expired', () => {
    expect(decideOffline(check({ scannedAt: '2026-12-13T07:00:01.000Z' }))).toMatchObject({
      kind: 'expired',
      closedAt: '2026-12-13T07:00:00.000Z',
    });
  });
});

describe('what the door keeps from each download', () => {
  it('when a download was read before a newer pass or this door’s admission, then the door forgets neither', () => {
    let knowledge = buildKnowledge([buildDoorTicket({ generation: 3 })]);
    knowledge = withAdmission(knowledge, TICKET_ID, '2026-12-12T19:02:00.000Z', { here: true });
    knowledge = withDownload(knowledge, {
      key: knowledge.key!,
      tickets: [buildDoorTicket({ generation: 2, admittedAt: null })],
      revoked: [],
      revokedAsOf: '2026-12-12T19:03:00.000Z',
      refreshedAt: '2026-12-12T19:03:00.000Z',
    });
    expect(knowledge.tickets[TICKET_ID]).toMatchObject({ generation: 3, admittedAt: '2026-12-12T19:02:00.000Z' });
  });

  it('when revocations arrive since the last asOf, then they add to those already known', () => {
    const knowledge = withDownload(buildKnowledge(), {
      key: { algorithm: 'Ed25519', publicKey: 'unused-here', keyId: 'test' },
      tickets: [buildDoorTicket({ generation: 3 })],
      revoked: [{ ticketId: TICKET_ID, generation: 2, reason: 'transferred', voidedAt: '2026-12-12T19:00:00.000Z' }],
      revokedAsOf: '2026-12-12T19:03:00.000Z',
      refreshedAt: '2026-12-12T19:03:00.000Z',
    });
    expect(Object.values(knowledge.revoked).map((code) => [code.generation, code.reason])).toEqual([
      [1, 'resold'],
      [2, 'transferred'],
    ]);
    expect(knowledge.revokedAsOf).toBe('2026-12-12T19:03:00.000Z');
  });
});
