'use client';

import { useActionState } from 'react';
import { ErrorAlert } from '@/components/alert';
import { withdrawTicket, type WithdrawState } from './actions';

const INITIAL_STATE: WithdrawState = { errors: [], attempt: 0 };

/** Withdraws one's own listing through the `withdrawTicket` server action; works without JavaScript. */
export function WithdrawButton({ ticketId, title }: { ticketId: string; title: string }) {
  const [state, formAction, pending] = useActionState(withdrawTicket, INITIAL_STATE);
  return (
    <form action={formAction} aria-busy={pending}>
      <input type="hidden" name="ticketId" value={ticketId} />
      <ErrorAlert messages={state.errors} />
      <button type="submit" className="button" disabled={pending}>
        {pending ? 'Withdrawing…' : 'Withdraw'}
        <span className="visually-hidden"> {title}</span>
      </button>
    </form>
  );
}
