'use client';

import { useState, type FormEvent } from 'react';

const TEST_CARDS = [
  { id: 'pm_card_visa', label: 'Visa (succeeds)' },
  { id: 'pm_card_chargeDeclined', label: 'Declined' },
  { id: 'pm_card_chargeDeclinedInsufficientFunds', label: 'Insufficient funds' },
] as const;

/** Local mode (no Stripe publishable key): pick one of Stripe's test payment methods instead of typing a card. */
export function TestCardForm({
  amountLabel,
  pending,
  disabled,
  onPay,
}: {
  amountLabel: string;
  pending: boolean;
  disabled: boolean;
  onPay: (paymentMethodId: string) => void;
}) {
  const [choice, setChoice] = useState<string>(TEST_CARDS[0].id);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending && !disabled) onPay(choice);
  }

  return (
    <form className="form" onSubmit={onSubmit} aria-busy={pending}>
      <fieldset className="choices" aria-describedby="test-card-hint">
        <legend>Test card</legend>
        <p id="test-card-hint" className="hint">
          Test mode: no real card is charged. Choose how the payment should end.
        </p>
        {TEST_CARDS.map((card) => (
          <label key={card.id} className="choice">
            <input
              type="radio"
              name="paymentMethod"
              value={card.id}
              checked={choice === card.id}
              onChange={() => setChoice(card.id)}
              disabled={disabled}
            />
            <span>{card.label}</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" className="button button-primary" disabled={pending || disabled}>
        {pending ? 'Paying…' : `Pay ${amountLabel}`}
      </button>
    </form>
  );
}
