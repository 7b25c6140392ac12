import type { TicketState } from '@/lib/ticket-state';

/** What the seller's edit form says above its fields, for a ticket that is not sold. */
export function editWarning(state: Exclude<TicketState, 'sold'>): string {
  return state === 'for-sale'
    ? 'You can change the title and price while the ticket is for sale.'
    : 'A buyer is paying for this ticket right now, so changes are refused until the reservation ends.';
}
