import type { EventRecorder, Executor } from '@ticketing/common';
import { findTicketForUpdate, updateTicket } from '../db/tickets';
import { recordReleasedOrder } from '../db/released-orders';
import { toTicketPayload } from './ticket-payload';

/** What `order.cancelled` did to the ticket. */
export type UnlockOutcome = 'unlocked' | 'not-held-by-order';

/**
 * Remembers the cancelled order (so a late `order.created` never locks for it) and frees the ticket, but
 * only if this very order still holds it: a later order may hold it already. The ticket's row lock comes
 * first, as in lockTicket, whose `order.created` may be handled at the same time.
 */
export async function unlockTicket(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string },
): Promise<UnlockOutcome> {
  const ticket = await findTicketForUpdate(tx, order.ticketId);
  await recordReleasedOrder(tx, order.id);
  if (!ticket || ticket.orderId !== order.id) return 'not-held-by-order';
  const unlocked = await updateTicket(tx, ticket.id, ticket.version, { orderId: null });
  if (!unlocked) throw new Error(`ticket ${ticket.id} changed under its row lock`);
  await events.record('ticket.updated', toTicketPayload(unlocked));
  return 'unlocked';
}
