import type { DoorResponse } from '@/lib/door/answers';
import { classifySyncAnswer, describeConflict, type QueuedScan } from '@/lib/door/sync';

const NOW = new Date('2026-12-12T21:00:00.000Z');
const scan: QueuedScan = {
  nonce: '6b0e4c8e-4f51-4e8f-9d55-2f7a8f0b9a11',
  code: 'A'.repeat(136),
  ticketId: 'ticket-1',
  title: 'Night at the Opera',
  scannedAt: '2026-12-12T20:15:00.000Z',
};
const answer = (status: number, body: unknown): DoorResponse => ({ kind: 'answer', status, body });
const alreadyAdmitted = (firstAdmittedAt: string) =>
  answer(409, {
    result: 'already-admitted',
    ticketId: 'ticket-1',
    title: 'Night at the Opera',
    holderEmail: 'ada@example.com',
    firstAdmittedAt,
  });

describe('what an uploaded offline scan’s answer means', () => {
  it('when the service admits it (201, now or from the stored answer of its nonce), then it is confirmed', () => {
    const outcome = classifySyncAnswer(
      scan,
      answer(201, {
        result: 'admitted',
        ticketId: 'ticket-1',
        title: 'Night at the Opera',
        holderEmail: 'ada@example.com',
        admittedAt: '2026-12-12T20:31:00.000Z',
        scannedAt: scan.scannedAt,
      }),
      {},
    );
    expect(outcome).toEqual({ kind: 'confirmed', admittedAt: '2026-12-12T20:31:00.000Z' });
  });

  it('when another door admitted the ticket first, then it is a conflict naming that time', () => {
    const outcome = classifySyncAnswer(scan, alreadyAdmitted('2026-12-12T20:14:00.000Z'), {});
    expect(outcome).toMatchObject({
      kind: 'conflict',
      conflict: { nonce: scan.nonce, problem: 'admitted-elsewhere', firstAdmittedAt: '2026-12-12T20:14:00.000Z' },
    });
    if (outcome.kind !== 'conflict') throw new Error('not a conflict');
    expect(describeConflict(outcome.conflict, NOW, 'UTC')).toBe(
      'Admitted here offline at 20:15, but admitted at 20:14 by another door',
    );
  });

  it('when the admission the service names is this door’s own, then it is not a conflict', () => {
    const outcome = classifySyncAnswer(scan, alreadyAdmitted('2026-12-12T20:14:00.000Z'), {
      'ticket-1': '2026-12-12T20:14:00Z',
    });
    expect(outcome).toEqual({ kind: 'confirmed', admittedAt: '2026-12-12T20:14:00Z' });
  });

  it('when the pass was void, expired or listed for resale, then it is a conflict saying which', () => {
    const voided = classifySyncAnswer(
      scan,
      answer(409, {
        result: 'void',
        ticketId: 'ticket-1',
        title: 'Night at the Opera',
        reason: 'transferred',
        voidedAt: NOW.toISOString(),
      }),
      {},
    );
    const expired = classifySyncAnswer(
      scan,
      answer(409, { result: 'expired', ticketId: 'ticket-1', title: 'T', closedAt: NOW.toISOString() }),
      {},
    );
    const listed = classifySyncAnswer(
      scan,
      answer(409, { result: 'listed-for-resale', ticketId: 'ticket-1', title: 'T' }),
      {},
    );
    const lines = [voided, expired, listed].map((outcome) =>
      outcome.kind === 'conflict' ? describeConflict(outcome.conflict, NOW, 'UTC') : outcome.kind,
    );
    expect(lines).toEqual([
      'Admitted here offline at 20:15, but the pass was void: transferred',
      'Admitted here offline at 20:15, but check-in had closed',
      'Admitted here offline at 20:15, but the ticket was listed for resale',
    ]);
  });

  it('when the service refuses it with the envelope (400, 403, 404), then it is a conflict with the service’s words', () => {
    for (const status of [400, 403, 404]) {
      const outcome = classifySyncAnswer(scan, answer(status, { errors: [{ message: 'Not your ticket' }] }), {});
      expect(outcome).toMatchObject({ kind: 'conflict', conflict: { problem: 'refused', message: 'Not your ticket' } });
    }
  });

  it('when there is no answer, a 5xx, a 429 or a 401, then the scan stays queued', () => {
    expect(classifySyncAnswer(scan, { kind: 'network-error' }, {})).toEqual({ kind: 'keep', why: 'unavailable' });
    for (const status of [500, 502, 503, 504]) {
      expect(classifySyncAnswer(scan, answer(status, undefined), {})).toEqual({ kind: 'keep', why: 'unavailable' });
    }
    expect(classifySyncAnswer(scan, answer(429, undefined), {})).toEqual({ kind: 'keep', why: 'throttled' });
    expect(classifySyncAnswer(scan, answer(401, undefined), {})).toEqual({ kind: 'keep', why: 'signed-out' });
  });
});
