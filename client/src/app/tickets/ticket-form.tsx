'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ErrorAlert } from '@/components/alert';
import { Field } from '@/components/field';
import { browserApi } from '@/lib/browser-api';
import { splitErrors } from '@/lib/envelope';
import { formatPrice } from '@/lib/format';
import { MAX_PRICE, MIN_PRICE } from '@/lib/price-range';
import type { Ticket } from '@ticketing/common/api';

const FIELDS = ['title', 'price'] as const;

const PRICE_HINT = `In US dollars, from ${formatPrice(MIN_PRICE)} to ${formatPrice(MAX_PRICE)}, up to two decimals.`;

type Props =
  | { mode: 'create'; ticket?: undefined; warning?: undefined }
  | { mode: 'edit'; ticket: Pick<Ticket, 'id' | 'title' | 'price'>; warning?: string };

/** "$20.5" → "20.50" for the input; the API accepts the decimal as a string and validates it. */
function priceForInput(price: number): string {
  return Number.isInteger(price) ? String(price) : price.toFixed(2);
}

/**
 * Lists a new ticket (POST /api/tickets, then its page) or changes one (PUT /api/tickets/:id). The API is the
 * single judge of what is valid: its envelope's messages appear next to the title and price fields.
 */
export function TicketForm({ mode, ticket, warning }: Props) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const idPrefix = mode === 'edit' ? 'edit-' : '';

  useEffect(() => {
    if (attempt === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempt]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const data = new FormData(event.currentTarget);
    const body = { title: String(data.get('title') ?? '').trim(), price: String(data.get('price') ?? '').trim() };
    setPending(true);
    setSaved(false);
    const result =
      mode === 'create'
        ? await browserApi<Ticket>('/api/tickets', { method: 'POST', body })
        : await browserApi<Ticket>(`/api/tickets/${ticket.id}`, { method: 'PUT', body });
    setPending(false);
    if (result.ok) {
      setFieldErrors({});
      setFormErrors([]);
      if (mode === 'create') {
        router.push(`/tickets/${result.data.id}`);
      } else {
        setSaved(true);
        router.refresh();
      }
      return;
    }
    if (result.status === 401) {
      const here = mode === 'create' ? '/tickets/new' : `/tickets/${ticket.id}`;
      router.push(`/auth/signin?next=${encodeURIComponent(here)}`);
      return;
    }
    const split = splitErrors(result.errors, FIELDS);
    setFieldErrors(split.fieldErrors);
    setFormErrors(split.formErrors);
    setAttempt((count) => count + 1);
    // A 409 means the ticket changed state meanwhile (reserved or sold): show the page's current state too.
    if (result.status === 409) router.refresh();
  }

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate aria-busy={pending}>
      {warning && <p className="hint">{warning}</p>}
      <ErrorAlert messages={formErrors} />
      {saved && (
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
        defaultValue={ticket?.title}
        hint={mode === 'create' ? 'The event, date and seat, e.g. "Arctic Monkeys, 12 June, Row F".' : undefined}
        error={fieldErrors.title}
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
        defaultValue={ticket ? priceForInput(ticket.price) : undefined}
        hint={PRICE_HINT}
        error={fieldErrors.price}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={pending}>
          {mode === 'create' ? (pending ? 'Listing…' : 'List ticket') : pending ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}
