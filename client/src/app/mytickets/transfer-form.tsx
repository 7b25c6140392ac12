'use client';

import { useActionState, useEffect, useRef } from 'react';
import { ErrorAlert } from '@/components/alert';
import { Field } from '@/components/field';
import { submitKeepingValues, useFocusFirstInvalid } from '@/components/action-form';
import { initialFormState } from '@/lib/form-state';
import { transferTicket, type TransferFormState } from './actions';

const INITIAL_STATE: TransferFormState = { ...initialFormState(), confirming: false };

/**
 * "Transfer": gives a held ticket to another account through the `transferTicket` server action (posts with or
 * without JavaScript), in two steps: the recipient's email, then a confirmation that says the holder's own code
 * stops working at once. The API's refusals (unknown email, to yourself, listed for resale, admitted) show under
 * the field or at the top, with the email kept.
 */
export function TransferForm({ ticketId, title }: { ticketId: string; title: string }) {
  const [state, formAction, pending] = useActionState(transferTicket, INITIAL_STATE);
  const formRef = useRef<HTMLFormElement>(null);
  const questionRef = useRef<HTMLParagraphElement>(null);
  useFocusFirstInvalid(formRef, state.attempt);
  useEffect(() => {
    if (state.confirming) questionRef.current?.focus();
  }, [state.confirming]);
  const fieldId = `transfer-email-${ticketId}`;
  return (
    // Open again after a post (without JavaScript the page comes back with the form's state).
    <details className="transfer" open={state.confirming || state.attempt > 0 ? true : undefined}>
      <summary>Transfer</summary>
      <form
        ref={formRef}
        className="form"
        action={formAction}
        onSubmit={submitKeepingValues(formAction)}
        noValidate
        aria-busy={pending}
        aria-label={`Transfer ${title}`}
      >
        <input type="hidden" name="ticketId" value={ticketId} />
        <ErrorAlert messages={state.formErrors} />
        {state.confirming ? (
          <>
            <input type="hidden" name="email" value={state.values.email ?? ''} />
            <p ref={questionRef} tabIndex={-1} data-testid="transfer-confirmation">
              Give {title} to <strong>{state.values.email}</strong>? Your code for it stops working at once: only theirs
              will open the door, and you cannot take it back.
            </p>
            <div className="button-row">
              <button type="submit" name="intent" value="confirm" className="button button-danger" disabled={pending}>
                {pending ? 'Transferring…' : 'Transfer now'}
              </button>
              <button type="submit" name="intent" value="change" className="button button-secondary" disabled={pending}>
                Change the email
              </button>
            </div>
          </>
        ) : (
          <>
            <Field
              id={fieldId}
              name="email"
              label="Recipient's email"
              type="email"
              required
              autoComplete="off"
              defaultValue={state.values.email ?? ''}
              hint="They need a Ticketing account. Once you confirm, your own code for this ticket stops working."
              error={state.fieldErrors.email}
            />
            <div className="button-row">
              <button type="submit" name="intent" value="review" className="button button-secondary" disabled={pending}>
                Transfer…
              </button>
            </div>
          </>
        )}
      </form>
    </details>
  );
}
