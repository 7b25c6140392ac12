import { NotFoundError } from '@ticketing/common/errors';
import { type Executor } from '@ticketing/common/database';
import { findTicketById } from '../db/tickets';
import { toTicketView, type TicketView } from './ticket-view';

/** Any ticket by id, locked or not; 404 when unknown. */
export async function showTicket(db: Executor, id: string): Promise<TicketView> {
  const ticket = await findTicketById(db, id);
  if (!ticket) throw new NotFoundError();
  return toTicketView(ticket);
}
