import type { TicketState } from '@/lib/ticket-state';

/**
 * What the seller's edit form says above its fields, for a ticket that is not sold or withdrawn and whose event
 * has not begun.
 */
export function editWarning(state: Exclude<TicketState, 'sold' | 'started' | 'withdrawn'>): string {
  return state === 'for-sale'
    ? 'You can change the title, price, venue and start while the ticket is for sale.'
    : 'A buyer is paying for this ticket right now, so changes are refused until the reservation ends.';
}
