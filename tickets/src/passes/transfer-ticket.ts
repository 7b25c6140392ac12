import { BadRequestError, ConflictError, NotFoundError } from '@ticketing/common/errors';
import { normalizeEmailAddress } from '@ticketing/common/email';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { TransferResponse } from '@ticketing/common/api';
import { findAdmission, lockPassNamedBy, savePassGeneration } from '../db/passes';
import { PassVoidReason } from '../db/schema';
import { findTicketById, selectLiveResalesOf } from '../db/tickets';
import { findUserByEmail } from '../db/users';
import { hasStarted } from '../tickets/event-start';
import { EVENT_STARTED_MESSAGE } from '../tickets/resell-ticket';
import { recordIssued } from './issue-pass';
import {
  ALREADY_ADMITTED_MESSAGE,
  LISTED_FOR_RESALE_MESSAGE,
  TRANSFER_TO_YOURSELF_MESSAGE,
  UNKNOWN_RECIPIENT_MESSAGE,
} from './messages';

/**
 * Hands the caller's pass for `id` (the listing it came through, or the ticket as its issuer listed it) to the
 * account with `email`: the recipient holds the next generation, the caller's code is void ('transferred'),
 * and `pass.issued` says so. Decided under the pass's row lock, like every change of holder and every
 * admission, so two transfers, a transfer and a scan, or a transfer and a resale listing happen one after the
 * other. Refused once the event has started, while a resale listing of the held ticket is live (its buyer
 * would pay for a pass given away), and after admission.
 *
 * The one race tickets cannot decide: a resale withdrawn in tickets may still be paid for in orders (a buyer
 * reserved it before orders applied the withdrawal). That buyer gets the pass over the recipient
 * (passes/issue-pass.ts): orders decides who bought.
 */
export async function transferTicket(
  unitOfWork: UnitOfWork,
  giver: { id: string; email: string },
  id: string,
  email: string,
  now = new Date(),
): Promise<TransferResponse> {
  const recipientEmail = normalizeEmailAddress(email);
  return unitOfWork.transaction(async (tx, events) => {
    const pass = await lockPassNamedBy(tx, id);
    if (!pass || pass.holderId !== giver.id) throw new NotFoundError();
    if (recipientEmail === normalizeEmailAddress(giver.email)) {
      throw new BadRequestError(TRANSFER_TO_YOURSELF_MESSAGE, 'email');
    }
    const recipient = await findUserByEmail(tx, recipientEmail);
    if (!recipient) throw new NotFoundError(UNKNOWN_RECIPIENT_MESSAGE, 'email');
    // The session's email may be older than the account's: the replica's id is the judge.
    if (recipient.id === giver.id) throw new BadRequestError(TRANSFER_TO_YOURSELF_MESSAGE, 'email');

    if ((await findAdmission(tx, pass.ticketId)) !== undefined) throw new ConflictError(ALREADY_ADMITTED_MESSAGE);
    const issued = await findTicketById(tx, pass.ticketId);
    if (hasStarted(issued?.startsAt ?? null, now)) throw new ConflictError(EVENT_STARTED_MESSAGE);
    if ((await selectLiveResalesOf(tx, [pass.heldTicketId])).length > 0) {
      throw new ConflictError(LISTED_FOR_RESALE_MESSAGE);
    }

    const transferred = await savePassGeneration(
      tx,
      { ...pass, holderId: recipient.id, generation: pass.generation + 1 },
      { generation: pass.generation, voidReason: PassVoidReason.Transferred },
    );
    await recordIssued(events, transferred, pass.holderId, 'transferred');
    return {
      ticketId: transferred.ticketId,
      heldTicketId: transferred.heldTicketId,
      holderEmail: recipient.email,
      generation: transferred.generation,
      transferredAt: transferred.issuedAt.toISOString(),
    };
  });
}
