import { LiveViews, startLiveFeed, type LiveFeed, type LiveStreamSettings } from '@ticketing/common/live';
import { NotFoundError } from '@ticketing/common/errors';
import { type EventBus } from '@ticketing/common/bus';
import { type Executor } from '@ticketing/common/database';
import { type Logger } from '@ticketing/common/logging';
import { selectTicketsByIds } from '../db/tickets-by-id';
import { toTicketView, type TicketView } from './ticket-view';

/** Tickets one multi-ticket stream watches at most: a page of the list (PAGE_SIZE_MAX). */
export const MAX_TICKETS_PER_STREAM = 100;

/** This process's live tickets: the streams its clients hold, by ticket id. */
export type LiveTickets = LiveViews<TicketView>;

/**
 * Live tickets read from this service's database, as `GET /api/tickets/:id` shows them (the events lack
 * `sold` and `createdAt`, so each change is read once per process, whatever the number of streams).
 */
export function createLiveTickets(db: Executor, settings: LiveStreamSettings, logger: Logger): LiveTickets {
  return new LiveViews<TicketView>({
    eventName: 'ticket',
    load: async (ids) => (await selectTicketsByIds(db, ids)).map(toTicketView),
    ...settings,
    logger,
  });
}

/** Every change of a ticket is a `ticket.created` or `ticket.updated` carrying its new version. */
export function startTicketFeed(bus: EventBus, tickets: LiveTickets, logger: Logger): LiveFeed {
  return startLiveFeed({
    bus,
    subjects: ['ticket.created', 'ticket.updated'],
    changeOf: (event) => ({ id: event.data.id, version: event.data.version }),
    views: tickets,
    logger,
  });
}

/** A stream of one ticket needs the ticket: 404 (before any header is sent) for an unknown one. */
export function assertTicketExists(views: ReadonlyMap<string, TicketView>, id: string): void {
  if (!views.has(id)) throw new NotFoundError();
}
