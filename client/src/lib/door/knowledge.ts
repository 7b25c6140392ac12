import type { DoorTicket, PublishedPassKey, RevokedPassCode } from './types';

/**
 * What the door knows to check codes offline, downloaded every minute while online and kept in IndexedDB:
 * the service's public key, the issuer's tickets (current generation, admission, closing time) and the void
 * codes. Plain records, so it is stored as one structured-clone value.
 */
export interface DoorKnowledge {
  key: PublishedPassKey | null;
  tickets: Record<string, DoorTicket>;
  /** By {@link revokedKey}. */
  revoked: Record<string, RevokedPassCode>;
  /** The `asOf` of the last revocation download: the next one asks `since` it. */
  revokedAsOf: string | null;
  /** When the door last downloaded all three (its own clock): what "updated 3 min ago" counts from. */
  refreshedAt: string | null;
  /** Tickets this door admitted with the service's word for it (201): ticket id → admittedAt. */
  admittedHere: Record<string, string>;
}

export function emptyKnowledge(): DoorKnowledge {
  return { key: null, tickets: {}, revoked: {}, revokedAsOf: null, refreshedAt: null, admittedHere: {} };
}

export function revokedKey(ticketId: string, generation: number): string {
  return `${ticketId}:${generation}`;
}

export interface KnowledgeDownload {
  key: PublishedPassKey;
  tickets: readonly DoorTicket[];
  revoked: readonly RevokedPassCode[];
  revokedAsOf: string;
  refreshedAt: string;
}

/**
 * Folds a download into what the door knew. Only ever learns: a ticket's generation never goes down and an
 * admission is never forgotten (the service never undoes either), so a list that was read before this door's
 * own admission, or before a newer pass was issued, cannot make the door forget it. Revocations accumulate (the
 * download brings those since the last one). A ticket that left the list (none do today) is dropped.
 */
export function withDownload(known: DoorKnowledge, download: KnowledgeDownload): DoorKnowledge {
  const tickets: Record<string, DoorTicket> = {};
  for (const ticket of download.tickets) {
    const before = known.tickets[ticket.ticketId];
    tickets[ticket.ticketId] = {
      ...ticket,
      generation: Math.max(ticket.generation, before?.generation ?? 0),
      admittedAt: ticket.admittedAt ?? before?.admittedAt ?? known.admittedHere[ticket.ticketId] ?? null,
    };
  }
  const revoked = { ...known.revoked };
  for (const code of download.revoked) revoked[revokedKey(code.ticketId, code.generation)] = code;
  return {
    ...known,
    key: download.key,
    tickets,
    revoked,
    revokedAsOf: download.revokedAsOf,
    refreshedAt: download.refreshedAt,
  };
}

/**
 * Records an admission the service told this door of (`here`: its own 201), or that it refused a scan over
 * (`already-admitted` from another door): either way the ticket is in, and offline it reads "already admitted".
 */
export function withAdmission(
  known: DoorKnowledge,
  ticketId: string,
  admittedAt: string,
  { here }: { here: boolean },
): DoorKnowledge {
  const ticket = known.tickets[ticketId];
  return {
    ...known,
    tickets: ticket && !ticket.admittedAt ? { ...known.tickets, [ticketId]: { ...ticket, admittedAt } } : known.tickets,
    admittedHere: here ? { ...known.admittedHere, [ticketId]: admittedAt } : known.admittedHere,
  };
}

/** Records a void code the service answered with, so the door refuses it offline before the next download. */
export function withRevocation(known: DoorKnowledge, code: RevokedPassCode): DoorKnowledge {
  return { ...known, revoked: { ...known.revoked, [revokedKey(code.ticketId, code.generation)]: code } };
}
