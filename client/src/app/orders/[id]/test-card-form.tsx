'use client';

const TEST_CARDS = [
  { id: 'pm_card_visa', label: 'Visa (succeeds)' },
  { id: 'pm_card_chargeDeclined', label: 'Declined' },
  { id: 'pm_card_chargeDeclinedInsufficientFunds', label: 'Insufficient funds' },
] as const;

/**
 * Local mode (no Stripe publishable key): pick one of Stripe's test payment methods instead of typing a card.
 * A plain form posting to the pay action, so it works without JavaScript too.
 */
export function TestCardForm({
  action,
  orderId,
  chosen,
  amountLabel,
  pending,
  disabled,
}: {
  action: (formData: FormData) => void;
  orderId: string;
  /** The card of the last attempt, checked again; the first one otherwise. */
  chosen?: string;
  amountLabel: string;
  pending: boolean;
  disabled: boolean;
}) {
  const checked = TEST_CARDS.some((card) => card.id === chosen) ? chosen : TEST_CARDS[0].id;
  return (
    <form className="form" action={action} aria-busy={pending}>
      <input type="hidden" name="orderId" value={orderId} />
      <fieldset className="choices" aria-describedby="test-card-hint">
        <legend>Test card</legend>
        <p id="test-card-hint" className="hint">
          Test mode: no real card is charged. Choose how the payment should end.
        </p>
        {TEST_CARDS.map((card) => (
          <label key={card.id} className="choice">
            <input
              type="radio"
              name="paymentMethodId"
              value={card.id}
              defaultChecked={card.id === checked}
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
