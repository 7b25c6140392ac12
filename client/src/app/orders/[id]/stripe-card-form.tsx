'use client';

import { CardElement, Elements, useElements, useStripe } from '@stripe/react-stripe-js';
// The "pure" entry loads Stripe.js only when loadStripe is called, not on import.
import { loadStripe } from '@stripe/stripe-js/pure';
import type { Stripe } from '@stripe/stripe-js';
import { useEffect, useState, type FormEvent } from 'react';
import { ErrorAlert } from '@/components/alert';

// One Stripe.js instance per key for the page's lifetime, as Stripe recommends.
const stripePromises = new Map<string, Promise<Stripe | null>>();
function stripeFor(publishableKey: string): Promise<Stripe | null> {
  let promise = stripePromises.get(publishableKey);
  if (!promise) {
    // A blocked or offline js.stripe.com resolves to null, which the form reports, instead of rejecting.
    promise = loadStripe(publishableKey).catch(() => null);
    stripePromises.set(publishableKey, promise);
  }
  return promise;
}

interface Props {
  publishableKey: string;
  amountLabel: string;
  pending: boolean;
  disabled: boolean;
  onPay: (paymentMethodId: string) => void;
}

/** Stripe Elements: the card never touches our servers; only the PaymentMethod id is posted to the API. */
export function StripeCardForm(props: Props) {
  const [unavailable, setUnavailable] = useState(false);
  useEffect(() => {
    let active = true;
    void stripeFor(props.publishableKey).then((stripe) => {
      if (active && !stripe) setUnavailable(true);
    });
    return () => {
      active = false;
    };
  }, [props.publishableKey]);

  if (unavailable) {
    return (
      <ErrorAlert messages={['The secure card form could not be loaded. Check your connection and reload the page.']} />
    );
  }
  return (
    <Elements stripe={stripeFor(props.publishableKey)}>
      <CardForm {...props} />
    </Elements>
  );
}

function CardForm({ amountLabel, pending, disabled, onPay }: Props) {
  const stripe = useStripe();
  const elements = useElements();
  const [creating, setCreating] = useState(false);
  const [cardError, setCardError] = useState<string[]>([]);
  const [complete, setComplete] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const card = elements?.getElement(CardElement);
    if (!stripe || !card || pending || creating || disabled) return;
    setCreating(true);
    setCardError([]);
    const { paymentMethod, error } = await stripe.createPaymentMethod({ type: 'card', card });
    setCreating(false);
    if (error || !paymentMethod) {
      setCardError([error?.message ?? 'The card could not be read. Please check the details.']);
      return;
    }
    onPay(paymentMethod.id);
  }

  const busy = pending || creating;
  return (
    <form className="form" onSubmit={onSubmit} aria-busy={busy}>
      <div className="field">
        <span className="field-label" id="card-label">
          Card details
        </span>
        <div className="card-element" role="group" aria-labelledby="card-label">
          <CardElement
            options={{ hidePostalCode: true, style: { base: { fontSize: '16px', color: '#111827' } } }}
            onChange={(event) => {
              setComplete(event.complete);
              setCardError(event.error ? [event.error.message] : []);
            }}
          />
        </div>
      </div>
      <ErrorAlert messages={cardError} />
      <button type="submit" className="button button-primary" disabled={!stripe || !complete || busy || disabled}>
        {busy ? 'Paying…' : `Pay ${amountLabel}`}
      </button>
    </form>
  );
}
