'use client';

import { useActionState, useRef } from 'react';
import { ErrorAlert } from '@/components/alert';
import { EventFields } from '@/components/event-fields';
import { Field } from '@/components/field';
import { submitKeepingValues, useFocusFirstInvalid } from '@/components/action-form';
import { eventInputValues } from '@/lib/event-start';
import { formatPrice } from '@/lib/format';
import { initialFormState } from '@/lib/form-state';
import { MAX_PRICE, MIN_PRICE } from '@/lib/price-range';
import type { Ticket } from '@ticketing/common/api';
import { createTicket, updateTicket, type TicketFormState } from './actions';

const PRICE_HINT = `In US dollars, from ${formatPrice(MIN_PRICE)} to ${formatPrice(MAX_PRICE)}, up to two decimals.`;

const INITIAL_STATE: TicketFormState = { ...initialFormState(), saved: false };

type Props =
  | { mode: 'create'; ticket?: undefined; warning?: undefined }
  | {
      mode: 'edit';
      ticket: Pick<Ticket, 'id' | 'title' | 'price' | 'venue' | 'startsAt' | 'timeZone'>;
      warning?: string;
    };

/** "$20.5" → "20.50" for the input; the API accepts the decimal as a string and validates it. */
function priceForInput(price: number): string {
  return Number.isInteger(price) ? String(price) : price.toFixed(2);
}

/**
 * Lists a new ticket (then its page) or changes one, through the `createTicket` and `updateTicket` server
 * actions: a POST with or without JavaScript. The API is the single judge of what is valid: its envelope's
 * messages appear next to the fields they name, with what was typed kept.
 */
export function TicketForm({ mode, ticket, warning }: Props) {
  const [state, formAction, pending] = useActionState(mode === 'create' ? createTicket : updateTicket, INITIAL_STATE);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, state.attempt);
  const idPrefix = mode === 'edit' ? 'edit-' : '';
  // What was typed after a refusal; otherwise the listing as the page shows it (after a save, the page is
  // rendered again, so that is what was saved).
  const refused = state.attempt > 0 && !state.saved;
  const values =
    refused || !ticket
      ? state.values
      : { title: ticket.title, price: priceForInput(ticket.price), ...eventInputValues(ticket) };

  return (
    <form
      ref={formRef}
      className="form"
      action={formAction}
      onSubmit={submitKeepingValues(formAction)}
      noValidate
      aria-busy={pending}
    >
      {ticket && <input type="hidden" name="ticketId" value={ticket.id} />}
      {warning && <p className="hint">{warning}</p>}
      <ErrorAlert messages={state.formErrors} />
      {state.saved && !pending && (
        <p className="alert alert-success" role="status">
          Your changes are saved.
        </p>
      )}
      <Field
        id={`${idPrefix}title`}
        name="title"
        label="Title"
        type="text"
        required
        maxLength={120}
        autoComplete="off"
        defaultValue={values.title}
        hint={mode === 'create' ? 'The event and the seat, e.g. "Arctic Monkeys, Row F".' : undefined}
        error={state.fieldErrors.title}
      />
      <Field
        id={`${idPrefix}price`}
        name="price"
        label="Price"
        // The form is noValidate: min, max and step describe the range (spin buttons, assistive technology);
        // the API's 400 naming `price` is what the seller reads under the field.
        type="number"
        inputMode="decimal"
        min={MIN_PRICE.toFixed(2)}
        max={MAX_PRICE.toFixed(2)}
        step="0.01"
        required
        autoComplete="off"
        prefix="$"
        defaultValue={values.price}
        hint={PRICE_HINT}
        error={state.fieldErrors.price}
      />
      <EventFields
        idPrefix={idPrefix}
        values={values}
        errors={{
          venue: state.fieldErrors.venue,
          startsAt: state.fieldErrors.startsAt,
          timeZone: state.fieldErrors.timeZone,
        }}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={pending}>
          {mode === 'create' ? (pending ? 'Listing…' : 'List ticket') : pending ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}
