'use client';

import { useActionState } from 'react';
import { ErrorAlert } from '@/components/alert';
import { signOutEverywhere, type SignOutEverywhereState } from './actions';

const INITIAL_STATE: SignOutEverywhereState = { errors: [], attempt: 0 };

/** Signs the account out on every device through the `signOutEverywhere` server action; works without JavaScript. */
export function SignOutEverywhereButton() {
  const [state, formAction, pending] = useActionState(signOutEverywhere, INITIAL_STATE);
  return (
    <form action={formAction} aria-busy={pending}>
      <ErrorAlert messages={state.errors} />
      <button type="submit" className="button" disabled={pending}>
        {pending ? 'Signing out everywhere…' : 'Sign out everywhere'}
      </button>
    </form>
  );
}
