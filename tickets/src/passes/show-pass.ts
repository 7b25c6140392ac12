import { NotFoundError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import type { Pass } from '@ticketing/common/api';
import { findHeldPass } from '../db/passes';
import { startOfRow } from '../tickets/event-start';
import type { PassSigner } from './pass-signer';

/**
 * The pass the caller holds for `id` (the listing their pass came through, or the ticket as its issuer listed
 * it): its current code, signed now (a code is a pure function of the ticket and generation, so nothing is
 * stored), the event, and the holder's email as the users replica knows it (null until it has heard of them).
 * 404 for anyone else, whether or not the ticket exists: a pass is nobody else's business.
 */
export async function showPass(db: Executor, signer: PassSigner, holderId: string, id: string): Promise<Pass> {
  const row = await findHeldPass(db, holderId, id);
  if (!row) throw new NotFoundError();
  const { pass, ticket } = row;
  return {
    ticketId: pass.ticketId,
    heldTicketId: pass.heldTicketId,
    code: signer.codeFor({ ticketId: pass.ticketId, generation: pass.generation }),
    generation: pass.generation,
    holderId: pass.holderId,
    holderEmail: row.holderEmail,
    title: ticket.title,
    venue: ticket.venue,
    startsAt: startOfRow(ticket),
    timeZone: ticket.timeZone,
    issuedAt: pass.issuedAt.toISOString(),
    admittedAt: row.admittedAt?.toISOString() ?? null,
  };
}
