'use client';

import { useActionState, useRef } from 'react';
import { ErrorAlert } from '@/components/alert';
import { Field } from '@/components/field';
import { submitKeepingValues, useFocusFirstInvalid } from '@/components/action-form';
import { formatPrice } from '@/lib/format';
import { initialFormState } from '@/lib/form-state';
import { resellTicket, type ResaleFormState } from './actions';

const INITIAL_STATE: ResaleFormState = { ...initialFormState(), listed: false };

/**
 * "Sell again": lists a bought ticket again through the `resellTicket` server action (a POST with or without
 * JavaScript), showing the cap the API applies (the price paid × RESALE_PRICE_CAP).
 */
export function SellAgainForm({ ticketId, title, maxPrice }: { ticketId: string; title: string; maxPrice: number }) {
  const [state, formAction, pending] = useActionState(resellTicket, INITIAL_STATE);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, state.attempt);
  return (
    <form
      ref={formRef}
      className="form"
      action={formAction}
      onSubmit={submitKeepingValues(formAction)}
      noValidate
      aria-busy={pending}
      aria-label={`Sell ${title} again`}
    >
      <input type="hidden" name="ticketId" value={ticketId} />
      <ErrorAlert messages={state.formErrors} />
      <Field
        id={`resale-price-${ticketId}`}
        name="price"
        label="Price"
        type="number"
        inputMode="decimal"
        min="0.50"
        max={maxPrice.toFixed(2)}
        step="0.01"
        required
        autoComplete="off"
        prefix="$"
        defaultValue={state.values.price ?? maxPrice.toFixed(2)}
        hint={`At most ${formatPrice(maxPrice)}: resale is capped at the price you paid.`}
        error={state.fieldErrors.price}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Listing…' : 'Sell again'}
        </button>
      </div>
    </form>
  );
}
