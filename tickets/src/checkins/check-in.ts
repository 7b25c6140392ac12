import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { CheckinAdmitted, CheckinAnswer } from '@ticketing/common/api';
import {
  findCheckin,
  findCheckinScan,
  findPassCode,
  findPassForUpdate,
  findUserEmail,
  hasLiveResale,
  insertCheckin,
  insertCheckinScan,
  type CheckinRow,
} from '../db/checkins';
import { findTicketById } from '../db/tickets';
import type { PassSigner } from '../passes/pass-signer';
import { closingTime, judgedAt } from './check-in-window';

export const NOT_A_PASS_CODE_MESSAGE = 'This is not a pass code';
export const UNKNOWN_PASS_MESSAGE = 'No such pass';
export const NOT_THE_ISSUER_MESSAGE = 'Only the ticket’s issuer can admit it';
export const NONCE_REUSED_MESSAGE = 'This nonce was already used for another ticket';

/** One scan at the door, as the issuer's door sent it. */
export interface Scan {
  /** The signed-in caller: admitted only when they are the ticket's issuer. */
  callerId: string;
  code: string;
  /** The scan's own id: the same scan sent again gets the same answer. */
  nonce: string;
  /** When the door scanned it, if it said (an offline door); null otherwise. */
  scannedAt: Date | null;
}

/** The door's answer: 201 and `admitted`, or 409 and why not. */
export interface CheckinOutcome {
  status: 201 | 409;
  answer: CheckinAnswer;
}

/**
 * Admits the holder of a pass code, at most once per ticket (docs/architecture.md#the-door). The code is read
 * with the pass key first (400 malformed, 404 forged); then one transaction under the pass's row lock (the
 * locking protocol every change of holder follows too) decides, in this order: unknown ticket 404, not the
 * issuer 403 (neither stored); a scan already answered (same issuer, same nonce) gets its stored answer; a void
 * code, an expired window, a live resale listing, an earlier admission refuse (409); otherwise the ticket is
 * admitted (201), the `checkins` primary key having the last word. The answer is stored under the nonce in the
 * same transaction.
 */
export async function checkIn(
  unitOfWork: UnitOfWork,
  signer: PassSigner,
  scan: Scan,
  { checkinWindowHours }: { checkinWindowHours: number },
  now = new Date(),
): Promise<CheckinOutcome> {
  const content = signer.read(scan.code);
  if (content === 'malformed') throw new BadRequestError(NOT_A_PASS_CODE_MESSAGE, 'code');
  if (content === 'forged') throw new NotFoundError(UNKNOWN_PASS_MESSAGE);

  return unitOfWork.transaction(async (tx) => {
    const pass = await findPassForUpdate(tx, content.ticketId);
    // A code of a generation never issued cannot be ours unless the database lost it: as unknown as a forgery.
    if (!pass || content.generation > pass.generation) throw new NotFoundError(UNKNOWN_PASS_MESSAGE);
    if (pass.issuerId !== scan.callerId) throw new ForbiddenError(NOT_THE_ISSUER_MESSAGE);

    // Read under the pass's lock: a copy of this scan sent at the same time waits for it, then finds its answer.
    const answered = await findCheckinScan(tx, pass.issuerId, scan.nonce);
    if (answered) {
      if (answered.ticketId !== pass.ticketId) throw new ConflictError(NONCE_REUSED_MESSAGE, 'nonce');
      return { status: answered.status as CheckinOutcome['status'], answer: answered.body as CheckinAnswer };
    }

    const ticket = await findTicketById(tx, pass.ticketId);
    if (!ticket) throw new Error(`pass ${pass.ticketId} has no ticket row`);
    const about = { ticketId: pass.ticketId, title: ticket.title };
    const outcome = await decide(tx, {
      about,
      pass,
      generation: content.generation,
      closesAt: closingTime(ticket.startsAt, checkinWindowHours),
      judgedAt: judgedAt(scan.scannedAt, now),
      admit: () =>
        insertCheckin(tx, {
          ticketId: pass.ticketId,
          issuerId: pass.issuerId,
          generation: pass.generation,
          holderId: pass.holderId,
          nonce: scan.nonce,
          admittedAt: now,
          scannedAt: scan.scannedAt,
        }),
    });

    const stored = await insertCheckinScan(tx, {
      issuerId: pass.issuerId,
      nonce: scan.nonce,
      ticketId: pass.ticketId,
      status: outcome.status,
      body: outcome.answer,
    });
    // Only the same nonce sent at once for another ticket gets here (this ticket's copies wait on its lock).
    if (!stored) throw new ConflictError(NONCE_REUSED_MESSAGE, 'nonce');
    return outcome;
  });
}

interface Decision {
  about: { ticketId: string; title: string };
  pass: { ticketId: string; generation: number; holderId: string; heldTicketId: string };
  generation: number;
  closesAt: Date | null;
  judgedAt: Date;
  admit: () => Promise<CheckinRow | undefined>;
}

async function decide(tx: Executor, decision: Decision): Promise<CheckinOutcome> {
  const { about, pass } = decision;
  if (decision.generation < pass.generation) {
    const code = await findPassCode(tx, pass.ticketId, decision.generation);
    if (!code?.voidedAt || !code.voidReason) {
      throw new Error(`code ${pass.ticketId}/${decision.generation} is below the current one but not void`);
    }
    return refused({ result: 'void', ...about, reason: code.voidReason, voidedAt: code.voidedAt.toISOString() });
  }
  if (decision.closesAt !== null && decision.judgedAt.getTime() >= decision.closesAt.getTime()) {
    return refused({ result: 'expired', ...about, closedAt: decision.closesAt.toISOString() });
  }
  if (await hasLiveResale(tx, pass.heldTicketId)) return refused({ result: 'listed-for-resale', ...about });

  const earlier = await findCheckin(tx, pass.ticketId);
  if (earlier) return alreadyAdmitted(tx, about, earlier);
  const admitted = await decision.admit();
  // The primary key refused a second admission that got past the lock (it cannot under the protocol).
  if (!admitted) {
    const first = await findCheckin(tx, pass.ticketId);
    if (!first) throw new Error(`checkin of ${pass.ticketId} refused by its key but not there`);
    return alreadyAdmitted(tx, about, first);
  }
  const answer: CheckinAdmitted = {
    result: 'admitted',
    ...about,
    holderEmail: await findUserEmail(tx, admitted.holderId),
    admittedAt: admitted.admittedAt.toISOString(),
    scannedAt: admitted.scannedAt?.toISOString() ?? null,
  };
  return { status: 201, answer };
}

async function alreadyAdmitted(tx: Executor, about: Decision['about'], first: CheckinRow): Promise<CheckinOutcome> {
  return refused({
    result: 'already-admitted',
    ...about,
    holderEmail: await findUserEmail(tx, first.holderId),
    firstAdmittedAt: first.admittedAt.toISOString(),
  });
}

const refused = (answer: Exclude<CheckinAnswer, CheckinAdmitted>): CheckinOutcome => ({ status: 409, answer });
