import type { TicketReplica } from '../db/schema';

/** The message a buyer gets for a ticket whose event has begun. */
export const EVENT_STARTED_MESSAGE = 'The event has already started';

/** Whether the ticket's event has begun by `now`: from then on nobody can reserve it, queue for it or be handed it. */
export function eventHasStarted(ticket: Pick<TicketReplica, 'startsAt'>, now: Date = new Date()): boolean {
  return ticket.startsAt !== null && ticket.startsAt.getTime() <= now.getTime();
}
