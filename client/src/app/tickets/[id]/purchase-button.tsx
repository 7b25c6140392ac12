'use client';

import { useActionState } from 'react';
import { ErrorAlert } from '@/components/alert';
import { reserveTicket, type ReserveState } from '../actions';

const INITIAL_STATE: ReserveState = { errors: [], attempt: 0 };

/**
 * Purchase: a form posting to the `reserveTicket` server action, so it works before hydration and without
 * JavaScript. It sends the version of the ticket the page shows, so the buyer pays the price they saw (see
 * {@link reserveTicket}); refusals (429 too many reservations, 409, 503) show the API's message here.
 */
export function PurchaseButton({ ticketId, ticketVersion }: { ticketId: string; ticketVersion: number }) {
  const [state, formAction, pending] = useActionState(reserveTicket, INITIAL_STATE);
  return (
    <form className="form" action={formAction} aria-busy={pending}>
      <input type="hidden" name="ticketId" value={ticketId} />
      <input type="hidden" name="ticketVersion" value={ticketVersion} />
      {!pending && <ErrorAlert messages={state.errors} />}
      <button type="submit" className="button button-primary" disabled={pending}>
        {pending ? 'Reserving…' : 'Purchase'}
      </button>
    </form>
  );
}
