import {
  copiesNoLongerHeld,
  newerPassCopy,
  passCheckFrom,
  passCopy,
  planAfterCheck,
  readStoredPass,
  storedPassKey,
  type PassCopy,
} from '@/lib/stored-pass';
import type { Pass } from '@/lib/passes';

const pass = (overrides: Partial<Pass> = {}): Pass => ({
  ticketId: 'root-1',
  heldTicketId: 'held-1',
  code: 'CODE1',
  generation: 1,
  holderId: 'user-1',
  holderEmail: 'holder@example.com',
  title: 'Jazz night',
  venue: 'Blue Note',
  startsAt: '2031-06-12T20:00:00+02:00',
  timeZone: 'Europe/Paris',
  issuedAt: '2031-01-01T10:00:00.000Z',
  admittedAt: null,
  ...overrides,
});
const qr = { side: 49, path: 'M4 4h1v1h-1z' };
const copy = (overrides: Partial<Pass> = {}, checkedAt = '2031-06-01T10:00:00.000Z'): PassCopy =>
  passCopy('held-1', pass(overrides), qr, checkedAt);
const now = new Date('2031-06-12T18:00:00.000Z');

describe('which copy of a pass the page shows', () => {
  it('when the device keeps a higher generation than the page was rendered with, then the device copy is shown', () => {
    const rendered = copy({ generation: 1, code: 'OLD' }, '2031-06-10T10:00:00.000Z');
    const kept = copy({ generation: 3, code: 'NEW' }, '2031-06-01T10:00:00.000Z');
    expect(newerPassCopy(rendered, kept)).toBe(kept);
    expect(newerPassCopy(kept, rendered)).toBe(kept);
  });

  it('when both are the same generation, then the one checked last is shown', () => {
    const earlier = copy({}, '2031-06-01T10:00:00.000Z');
    const later = copy({}, '2031-06-02T10:00:00.000Z');
    expect(newerPassCopy(earlier, later)).toBe(later);
    expect(newerPassCopy(later, earlier)).toBe(later);
  });

  it('when one is missing, then the other is shown', () => {
    const only = copy();
    expect(newerPassCopy(undefined, only)).toBe(only);
    expect(newerPassCopy(only, undefined)).toBe(only);
    expect(newerPassCopy(undefined, undefined)).toBeUndefined();
  });
});

describe('what the page does after asking the API for the pass', () => {
  it('when the server holds the same code, then it is kept as checked now, with the admission the server reports', () => {
    const shown = copy();
    const plan = planAfterCheck(
      shown,
      { kind: 'current', code: 'CODE1', generation: 1, admittedAt: '2031-06-12T17:59:00.000Z' },
      now,
    );
    expect(plan).toEqual({
      kind: 'confirmed',
      copy: { ...shown, admittedAt: '2031-06-12T17:59:00.000Z', checkedAt: now.toISOString() },
    });
  });

  it("when the stored code's generation is older than the server's, then it is replaced (the page renders again)", () => {
    expect(
      planAfterCheck(copy({ generation: 1 }), { kind: 'current', code: 'CODE3', generation: 3, admittedAt: null }, now),
    ).toEqual({ kind: 'replace' });
  });

  it('when nothing is shown yet (the service was down at render) and the server answers, then the page renders again', () => {
    expect(planAfterCheck(undefined, { kind: 'current', code: 'C', generation: 1, admittedAt: null }, now)).toEqual({
      kind: 'replace',
    });
  });

  it('when the API answers 404 (the pass was transferred away), then the kept copy goes', () => {
    expect(planAfterCheck(copy(), passCheckFrom(404, undefined), now)).toEqual({ kind: 'gone' });
  });

  it('when there is no answer, then the newest copy is shown as of its last check, marked offline', () => {
    const shown = copy();
    expect(planAfterCheck(shown, passCheckFrom(503, undefined), now)).toEqual({
      kind: 'unchecked',
      copy: shown,
      reason: 'offline',
    });
    expect(planAfterCheck(undefined, { kind: 'unreachable' }, now)).toEqual({
      kind: 'unchecked',
      copy: undefined,
      reason: 'offline',
    });
  });

  it('when the session has ended (401), then the copy is kept and shown, not removed', () => {
    const shown = copy();
    expect(planAfterCheck(shown, passCheckFrom(401, undefined), now)).toEqual({
      kind: 'unchecked',
      copy: shown,
      reason: 'signed-out',
    });
  });

  it('when a 200 does not carry a pass, then it counts as no answer', () => {
    expect(passCheckFrom(200, '<html>')).toEqual({ kind: 'unreachable' });
    expect(passCheckFrom(200, { code: 'C', generation: 2, admittedAt: null })).toEqual({
      kind: 'current',
      code: 'C',
      generation: 2,
      admittedAt: null,
    });
  });
});

describe('a copy read back from the device', () => {
  it('when it is a copy of this page’s pass, then it is read back whole', () => {
    const kept = copy();
    expect(readStoredPass('held-1', JSON.stringify(kept))).toEqual(kept);
    expect(storedPassKey('held-1')).toBe('ticketing.pass.held-1');
  });

  it('when it is missing, not JSON, of another pass, or altered, then it is ignored', () => {
    const kept = copy();
    expect(readStoredPass('held-1', null)).toBeUndefined();
    expect(readStoredPass('held-1', '{')).toBeUndefined();
    expect(readStoredPass('held-2', JSON.stringify(kept))).toBeUndefined();
    expect(readStoredPass('held-1', JSON.stringify({ ...kept, generation: '2' }))).toBeUndefined();
    expect(readStoredPass('held-1', JSON.stringify({ ...kept, checkedAt: 'yesterday' }))).toBeUndefined();
    expect(
      readStoredPass('held-1', JSON.stringify({ ...kept, qr: { side: 49, path: '"/><script>' } })),
    ).toBeUndefined();
    expect(readStoredPass('held-1', JSON.stringify({ ...kept, venue: 7 }))).toBeUndefined();
  });
});

describe('the copies My tickets removes from the device', () => {
  const mine = (id: string) => ({ ...copy(), id, holderId: 'user-1' });

  it('when the visitor no longer holds a kept pass (given or sold away), then its copy is removed, the others stay', () => {
    const copies = [mine('held-1'), mine('held-2'), { ...mine('held-3'), holderId: 'user-2' }];
    expect(copiesNoLongerHeld(copies, 'user-1', new Set(['held-1']), true)).toEqual(['held-2']);
  });

  it("when another account's copies are on the device, then they are left alone", () => {
    expect(copiesNoLongerHeld([{ ...mine('held-9'), holderId: 'user-2' }], 'user-1', new Set(), true)).toEqual([]);
  });

  it('when the list of held tickets may be cut short, then nothing is removed', () => {
    expect(copiesNoLongerHeld([mine('held-2')], 'user-1', new Set(['held-1']), false)).toEqual([]);
  });
});
