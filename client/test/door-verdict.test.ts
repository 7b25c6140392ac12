import { describeVerdict, readOnlineCheckin, type DoorVerdict } from '@/lib/door/verdict';

const NOW = new Date('2026-12-12T20:30:00.000Z');
const answer = (status: number, body: unknown) => readOnlineCheckin({ kind: 'answer', status, body });
const said = (verdict: DoorVerdict) => describeVerdict(verdict, NOW, 'UTC');
const verdictOf = (status: number, body: unknown): DoorVerdict => {
  const outcome = answer(status, body);
  if (outcome.kind !== 'verdict') throw new Error(`no verdict: ${outcome.kind}`);
  return outcome.verdict;
};
const envelope = (message: string, field?: string) => ({ errors: [{ message, field }] });

describe('what the door shows for each answer of POST /api/checkins', () => {
  it('when the service admits (201), then it reads Admitted in green with title, holder and time', () => {
    const verdict = verdictOf(201, {
      result: 'admitted',
      ticketId: 't1',
      title: 'Night at the Opera',
      holderEmail: 'ada@example.com',
      admittedAt: '2026-12-12T20:14:05.000Z',
      scannedAt: '2026-12-12T20:14:04.000Z',
    });
    expect(said(verdict)).toEqual({
      tone: 'admit',
      headline: 'Admitted',
      details: ['Night at the Opera', 'ada@example.com', 'at 20:14'],
    });
  });

  it('when the pass was already admitted (409), then it reads red "Already admitted at 20:14"', () => {
    const verdict = verdictOf(409, {
      result: 'already-admitted',
      ticketId: 't1',
      title: 'Night at the Opera',
      holderEmail: 'ada@example.com',
      firstAdmittedAt: '2026-12-12T20:14:00.000Z',
    });
    expect(said(verdict)).toMatchObject({ tone: 'refuse', headline: 'Already admitted at 20:14' });
  });

  it('when the first admission was on another day, then the day is named too', () => {
    const verdict = verdictOf(409, {
      result: 'already-admitted',
      ticketId: 't1',
      title: 'Night at the Opera',
      holderEmail: 'ada@example.com',
      firstAdmittedAt: '2026-12-11T20:14:00.000Z',
    });
    expect(said(verdict).headline).toBe('Already admitted at 20:14 on 11 Dec');
  });

  it.each([
    ['resold', 'Void: resold'],
    ['transferred', 'Void: transferred'],
  ])('when the code is void because it was %s, then it reads "%s"', (reason, headline) => {
    const verdict = verdictOf(409, {
      result: 'void',
      ticketId: 't1',
      title: 'Gig',
      reason,
      voidedAt: NOW.toISOString(),
    });
    expect(said(verdict)).toMatchObject({ tone: 'refuse', headline });
  });

  it('when check-in has closed, then it reads Expired with the closing time', () => {
    const verdict = verdictOf(409, {
      result: 'expired',
      ticketId: 't1',
      title: 'Gig',
      closedAt: '2026-12-12T08:00:00.000Z',
    });
    expect(said(verdict)).toEqual({
      tone: 'refuse',
      headline: 'Expired',
      details: ['Gig', 'check-in closed at 08:00'],
    });
  });

  it('when the ticket is listed for resale, then it reads "Listed for resale: not admitted"', () => {
    const verdict = verdictOf(409, { result: 'listed-for-resale', ticketId: 't1', title: 'Gig' });
    expect(said(verdict)).toMatchObject({ tone: 'refuse', headline: 'Listed for resale: not admitted' });
  });

  it.each([
    [400, 'Not a pass code'],
    [403, 'Not a ticket to your event'],
    [404, 'Unknown or forged pass'],
  ])(
    'when the service answers %i with the envelope, then it reads "%s" with the service’s message',
    (status, headline) => {
      const verdict = verdictOf(status, envelope('What the service said', 'code'));
      expect(said(verdict)).toEqual({ tone: 'refuse', headline, details: ['What the service said'] });
    },
  );

  it('when the session has ended (401), then the door sends the doorman to sign in', () => {
    expect(answer(401, envelope('Not authorized'))).toEqual({ kind: 'sign-in' });
  });

  it('when there is no answer, or the service or the edge failed (5xx), then the door checks offline', () => {
    expect(readOnlineCheckin({ kind: 'network-error' })).toEqual({ kind: 'unavailable' });
    for (const status of [500, 502, 503, 504]) expect(answer(status, undefined)).toEqual({ kind: 'unavailable' });
  });

  it('when the service throttles (429) or answers what the door cannot read, then nobody is admitted and the doorman scans again', () => {
    expect(said(verdictOf(429, envelope('Too many requests')))).toEqual({
      tone: 'retry',
      headline: 'Not checked: scan again',
      details: ['Too many requests'],
    });
    expect(said(verdictOf(409, { result: 'something-new' })).tone).toBe('retry');
    expect(said(verdictOf(201, 'not json')).tone).toBe('retry');
  });
});

describe('what the door shows for its own offline verdicts', () => {
  it('when admitted offline, then it reads amber "Offline: admitted here, not yet confirmed"', () => {
    expect(said({ kind: 'admitted-offline', title: 'Gig', scannedAt: '2026-12-12T20:15:00.000Z' })).toMatchObject({
      tone: 'pending',
      headline: 'Offline: admitted here, not yet confirmed',
    });
  });

  it('when admitted offline here before, then it reads already admitted, by this door', () => {
    const text = said({
      kind: 'already-admitted',
      title: 'Gig',
      firstAdmittedAt: '2026-12-12T20:15:00.000Z',
      offlineHere: true,
    });
    expect(text).toEqual({
      tone: 'refuse',
      headline: 'Already admitted at 20:15',
      details: ['Gig', 'by this door, offline'],
    });
  });

  it('when the browser cannot verify offline, then it refuses', () => {
    expect(said({ kind: 'cannot-verify-offline', message: 'No Ed25519.' })).toMatchObject({
      tone: 'refuse',
      headline: 'Cannot verify offline: not admitted',
    });
  });
});
