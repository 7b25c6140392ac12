import { and, asc, eq, gte, isNotNull, type SQL } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import type { RevokedCodes } from '@ticketing/common/api';
import { oldestOpenTransactionStart } from '../db/checkins';
import { passCodes } from '../db/schema';

/**
 * How far before the oldest open transaction an answer's `asOf` is put: room for a code stamped void by a clock
 * a little behind the database's (a replica's own). A door may be sent a code twice, never not at all.
 */
export const REVOKED_OVERLAP_MS = 5_000;

/**
 * The `asOf` of an answer read from now on: a void committed after it is read carries a later `voided_at`.
 * Voids are stamped with the voiding transaction's time (PostgreSQL's `now()`, its start), so a transaction
 * that commits after this answer's read either was open when `asOf` was taken (and `asOf` is before its start)
 * or began after. `since` = the previous `asOf` therefore loses no code, whatever the order of commits.
 */
export async function revocationWatermark(db: Executor, overlapMs = REVOKED_OVERLAP_MS): Promise<Date> {
  return new Date((await oldestOpenTransactionStart(db)).getTime() - overlapMs);
}

/**
 * The issuer’s void codes voided at or after `since` (all without it), oldest void first, and the `asOf` to send as
 * `since` next: taken before the read, in a statement of its own (see {@link revocationWatermark}).
 */
export async function listRevokedCodes(
  db: Executor,
  issuerId: string,
  since: Date | undefined,
  overlapMs = REVOKED_OVERLAP_MS,
): Promise<RevokedCodes> {
  const asOf = await revocationWatermark(db, overlapMs);
  const conditions: SQL[] = [eq(passCodes.issuerId, issuerId), isNotNull(passCodes.voidedAt)];
  // At or after: a code voided at `asOf` itself comes twice rather than never.
  if (since) conditions.push(gte(passCodes.voidedAt, since));
  const rows = await db
    .select({
      ticketId: passCodes.ticketId,
      generation: passCodes.generation,
      reason: passCodes.voidReason,
      voidedAt: passCodes.voidedAt,
    })
    .from(passCodes)
    .where(and(...conditions))
    .orderBy(asc(passCodes.voidedAt), passCodes.ticketId, passCodes.generation);
  return {
    asOf: asOf.toISOString(),
    revoked: rows.flatMap(({ ticketId, generation, reason, voidedAt }) =>
      reason && voidedAt ? [{ ticketId, generation, reason, voidedAt: voidedAt.toISOString() }] : [],
    ),
  };
}
