import type { EventRecorder } from '@ticketing/common/outbox';
import type { Executor } from '@ticketing/common/database';
import { lockPass, savePassGeneration, selectChainOf, type Pass } from '../db/passes';
import { PassVoidReason } from '../db/schema';

/** What a paid sale did to the ticket's pass. */
export type IssueOutcome =
  /** The first pass of the ticket: generation 1 to the buyer. */
  | 'bought'
  /** A newer listing of the chain was paid for: its buyer holds generation+1, the old code is void ('resold'). */
  | 'resold'
  /** This listing's buyer holds it already (a repeated event, or a restatement after the sale). */
  | 'already-held'
  /**
   * An older listing's completion arriving late (the pass came through a resale of it since): orders decided
   * that sale long ago and the newer one after it, so nothing changes.
   */
  | 'older-listing'
  | 'unknown-ticket';

/**
 * Issues the pass for a paid sale of `listingId` (the ticket itself or a resale of it) to its buyer, in the
 * sale's transaction: the ticket as its issuer listed it is the root of the resale chain, and its pass row is
 * locked before deciding (docs/architecture.md, "A pass and a transfer"). A sale of a newer listing of the
 * chain always takes the pass, over a transfer tickets accepted meanwhile too: orders decides who bought
 * (docs/rules.md#rule-4). Records `pass.issued` for every change.
 */
export async function issuePass(
  tx: Executor,
  events: EventRecorder,
  sale: { listingId: string; buyerId: string },
): Promise<IssueOutcome> {
  const chain = await selectChainOf(tx, sale.listingId);
  const root = chain[chain.length - 1];
  if (!root) return 'unknown-ticket';
  const pass = await lockPass(tx, root.id);
  // No row to lock yet: two first sales of one chain at once would both insert, and the second fails on the
  // primary key and is retried by its listener, to find the first's pass. (A resale needs a bought ticket, so a
  // chain's first sale is in practice alone.)
  if (!pass) {
    const issued = await savePassGeneration(
      tx,
      {
        ticketId: root.id,
        issuerId: root.userId,
        heldTicketId: sale.listingId,
        holderId: sale.buyerId,
        generation: 1,
      },
      undefined,
    );
    await recordIssued(events, issued, null, 'bought');
    return 'bought';
  }
  if (pass.heldTicketId === sale.listingId) return 'already-held';
  // Newer means further down the chain: the listing the pass came through is one this one resold.
  if (!chain.some((link) => link.id === pass.heldTicketId)) return 'older-listing';
  const issued = await savePassGeneration(
    tx,
    { ...pass, heldTicketId: sale.listingId, holderId: sale.buyerId, generation: pass.generation + 1 },
    { generation: pass.generation, voidReason: PassVoidReason.Resold },
  );
  await recordIssued(events, issued, pass.holderId, 'resold');
  return 'resold';
}

/** `pass.issued` for the generation just saved. */
export async function recordIssued(
  events: EventRecorder,
  pass: Pass,
  previousHolderId: string | null,
  reason: 'bought' | 'resold' | 'transferred',
): Promise<void> {
  await events.record('pass.issued', {
    ticket: { id: pass.ticketId },
    heldTicketId: pass.heldTicketId,
    holderId: pass.holderId,
    previousHolderId,
    generation: pass.generation,
    reason,
  });
}
