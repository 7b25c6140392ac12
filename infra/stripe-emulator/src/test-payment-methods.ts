/**
 * Stripe's test PaymentMethod ids the emulator knows. Each one decides how a confirmation ends, like the
 * test cards in Stripe's test mode (same ids, same decline codes and messages).
 */
export interface TestPaymentMethod {
  id: string;
  brand: 'visa' | 'mastercard';
  last4: string;
  /** Undefined: the charge succeeds. Otherwise Stripe's card_error for this card. */
  decline?: { code: 'card_declined'; declineCode: string; message: string };
}

const TEST_PAYMENT_METHODS: readonly TestPaymentMethod[] = [
  { id: 'pm_card_visa', brand: 'visa', last4: '4242' },
  { id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444' },
  {
    id: 'pm_card_chargeDeclined',
    brand: 'visa',
    last4: '0002',
    decline: { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' },
  },
  {
    id: 'pm_card_chargeDeclinedInsufficientFunds',
    brand: 'visa',
    last4: '9995',
    decline: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
];

export function findTestPaymentMethod(id: string): TestPaymentMethod | undefined {
  return TEST_PAYMENT_METHODS.find((method) => method.id === id);
}

/** The PaymentMethod object Stripe embeds in a card error and in `last_payment_error`. */
export function paymentMethodObject(method: TestPaymentMethod, created: number) {
  return {
    id: method.id,
    object: 'payment_method' as const,
    type: 'card' as const,
    card: { brand: method.brand, last4: method.last4, exp_month: 12, exp_year: 2034, funding: 'credit', country: 'US' },
    billing_details: { address: null, email: null, name: null, phone: null },
    created,
    customer: null,
    livemode: false,
    metadata: {},
  };
}
