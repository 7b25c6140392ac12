import { decimalFromCents } from '@ticketing/common/money';
import { type Executor } from '@ticketing/common/database';
import { listPlacesOfUser } from '../db/waiting-list';
import type { WaitingPlace } from '@ticketing/common/api';

/** A place as the API shows it (docs/openapi.yaml): the ticket, and the price the buyer joined at (a decimal). */
export type WaitingPlaceView = WaitingPlace;

/** The buyer's places in waiting lists, the one taken first first, each with its current position. */
export async function listWaitingPlaces(db: Executor, buyerId: string): Promise<WaitingPlaceView[]> {
  const rows = await listPlacesOfUser(db, buyerId);
  return rows.map(({ place, position, ticket }) => ({
    ticketId: place.ticketId,
    position,
    ticket: { id: ticket.id, title: ticket.title, price: decimalFromCents(place.price) },
    joinedAt: place.joinedAt.toISOString(),
  }));
}
