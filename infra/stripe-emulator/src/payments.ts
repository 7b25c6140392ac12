import type Stripe from 'stripe';
import { stripeId, randomToken, unixSeconds } from './ids';
import {
  assertKnownParameters,
  optionalBoolean,
  optionalInteger,
  optionalMetadata,
  optionalObject,
  optionalString,
  optionalStringList,
  requiredInteger,
  requiredString,
  type FormParameters,
} from './parameters';
import {
  StripeApiError,
  docUrlFor,
  invalidParameter,
  invalidRequest,
  parameterMissing,
  resourceMissing,
} from './stripe-error';
import { findTestPaymentMethod, paymentMethodObject, type TestPaymentMethod } from './test-payment-methods';

/** What an API call carries that ends up in the events it causes (`event.request`, `event.api_version`). */
export interface ApiRequestContext {
  requestId: string;
  idempotencyKey: string | null;
  apiVersion: string;
}

/** Where the ledger reports what happened; the webhook dispatcher signs and delivers it. */
export interface EventRecorder {
  record(type: string, object: object, request: ApiRequestContext): void;
}

/** Stripe's minimum charge is $0.50; the emulator applies 50 smallest units to every currency. */
const MINIMUM_AMOUNT = 50;
/** Stripe's maximum: eight digits. */
const MAXIMUM_AMOUNT = 99_999_999;
const CONFIRMABLE_STATUSES: readonly Stripe.PaymentIntent.Status[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
const REFUND_REASONS: readonly Stripe.Refund.Reason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];

/** One `metadata['key']:'value'` clause of a search query (either quote style, as Stripe accepts). */
const METADATA_CLAUSE = /^metadata\[(['"])([^'"]+)\1\]:(['"])([^'"]*)\3$/;

/** The emulator's page token (`next_page`): the offset of the page's first result. */
const SEARCH_PAGE = /^page_(\d+)$/;

/** The clauses of a search query made of metadata equalities joined by AND; any other query is refused. */
function parseMetadataQuery(query: string): { key: string; value: string }[] {
  return query
    .trim()
    .split(/\s+AND\s+/)
    .map((clause) => {
      const match = METADATA_CLAUSE.exec(clause.trim());
      if (!match?.[2] || match[4] === undefined) {
        throw invalidParameter(
          'parameter_invalid_string',
          'query',
          `Invalid query: ${JSON.stringify(clause)}. The Ticketing Stripe emulator searches only metadata['key']:'value' clauses joined with AND.`,
        );
      }
      return { key: match[2], value: match[4] };
    });
}

function formatAmount(amount: number, currency: string): string {
  const decimal = (amount / 100).toFixed(2);
  return currency === 'usd' ? `$${decimal}` : `${decimal} ${currency}`;
}

/** Copies handed out never alias the stored object, so an answer or an event is a snapshot. */
function snapshot<T>(value: T): T {
  return structuredClone(value);
}

/**
 * The emulator's Stripe account: PaymentIntents, their charges and refunds, in memory. Each method is one
 * API call; it is synchronous, so two calls never interleave (the idempotency layer relies on that).
 */
export class PaymentLedger {
  private readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  private readonly charges = new Map<string, Stripe.Charge>();
  private readonly refunds = new Map<string, Stripe.Refund>();

  constructor(private readonly events: EventRecorder) {}

  /** POST /v1/payment_intents: validates, stores, and with `confirm=true` attempts the payment at once. */
  createPaymentIntent(parameters: FormParameters, request: ApiRequestContext): Stripe.PaymentIntent {
    assertKnownParameters(parameters, [
      'amount',
      'currency',
      'payment_method',
      'confirm',
      'metadata',
      'receipt_email',
      'description',
      'allowed_payment_method_types',
      'payment_method_types',
      'automatic_payment_methods',
      'return_url',
    ]);
    const amount = requiredInteger(parameters, 'amount');
    const currency = requiredString(parameters, 'currency').toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) {
      throw invalidParameter('parameter_invalid_string', 'currency', `Invalid currency: ${currency}.`);
    }
    if (amount < MINIMUM_AMOUNT) {
      throw invalidParameter(
        'amount_too_small',
        'amount',
        // Stripe's wording: "Amount must be at least $0.50 usd".
        `Amount must be at least ${formatAmount(MINIMUM_AMOUNT, currency)}${currency === 'usd' ? ' usd' : ''}`,
      );
    }
    if (amount > MAXIMUM_AMOUNT) {
      throw invalidParameter(
        'amount_too_large',
        'amount',
        `Amount must be no more than ${formatAmount(MAXIMUM_AMOUNT, currency)}`,
      );
    }
    const paymentMethodTypesParam = this.paymentMethodTypesParam(parameters);
    const automatic = optionalObject(parameters, 'automatic_payment_methods', ['enabled', 'allow_redirects']);
    if (paymentMethodTypesParam && automatic) {
      throw invalidParameter(
        'parameters_exclusive',
        'automatic_payment_methods',
        `You may only specify one of these parameters: automatic_payment_methods, ${paymentMethodTypesParam}.`,
      );
    }
    const metadata = optionalMetadata(parameters);
    const receiptEmail = optionalString(parameters, 'receipt_email') ?? null;
    const description = optionalString(parameters, 'description') ?? null;
    const confirm = optionalBoolean(parameters, 'confirm') ?? false;
    const returnUrl = optionalString(parameters, 'return_url');
    const paymentMethod = this.findPaymentMethod(optionalString(parameters, 'payment_method'));

    const created = unixSeconds();
    const id = stripeId('pi');
    const paymentIntent: Stripe.PaymentIntent = {
      id,
      object: 'payment_intent',
      allowed_payment_method_types: paymentMethodTypesParam === 'allowed_payment_method_types' ? ['card'] : null,
      amount,
      amount_capturable: 0,
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      // Since API version 2023-08-16, leaving out the list of payment method types means "automatic".
      automatic_payment_methods: paymentMethodTypesParam ? null : this.automaticPaymentMethods(automatic),
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomToken()}`,
      confirmation_method: 'automatic',
      created,
      currency,
      customer: null,
      customer_account: null,
      description,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata,
      next_action: null,
      on_behalf_of: null,
      payment_method: paymentMethod?.id ?? null,
      payment_method_configuration_details: null,
      payment_method_options: null,
      payment_method_types: ['card'],
      payment_record: null,
      processing: null,
      receipt_email: receiptEmail,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
      transfer_data: null,
      transfer_group: null,
    };
    this.paymentIntents.set(id, paymentIntent);
    if (confirm) this.attemptPayment(paymentIntent, paymentMethod, returnUrl, request);
    return snapshot(paymentIntent);
  }

  /** POST /v1/payment_intents/:id/confirm, optionally with another payment_method. */
  confirmPaymentIntent(id: string, parameters: FormParameters, request: ApiRequestContext): Stripe.PaymentIntent {
    const paymentIntent = this.storedPaymentIntent(id);
    assertKnownParameters(parameters, ['payment_method', 'return_url', 'receipt_email']);
    const paymentMethod = this.findPaymentMethod(optionalString(parameters, 'payment_method'));
    const returnUrl = optionalString(parameters, 'return_url');
    const receiptEmail = optionalString(parameters, 'receipt_email');
    if (receiptEmail !== undefined) paymentIntent.receipt_email = receiptEmail;
    this.attemptPayment(paymentIntent, paymentMethod, returnUrl, request);
    return snapshot(paymentIntent);
  }

  /** GET /v1/payment_intents/:id */
  retrievePaymentIntent(id: string): Stripe.PaymentIntent {
    return snapshot(this.storedPaymentIntent(id));
  }

  /**
   * GET /v1/payment_intents/search: the PaymentIntents matching `query`, newest first. Only metadata
   * clauses are understood (`metadata['chargeId']:'…'`, joined with AND), which is what payments asks;
   * anything else is refused rather than answered wrongly. Unlike Stripe, whose search lags behind
   * writes (usually under a minute), the emulator finds a PaymentIntent as soon as it exists.
   */
  searchPaymentIntents(parameters: FormParameters): Stripe.ApiSearchResult<Stripe.PaymentIntent> {
    assertKnownParameters(parameters, ['query', 'limit', 'page']);
    const clauses = parseMetadataQuery(requiredString(parameters, 'query'));
    const limit = optionalInteger(parameters, 'limit') ?? 10;
    if (limit < 1 || limit > 100) {
      throw invalidParameter('parameter_invalid_integer', 'limit', 'This value must be between 1 and 100.');
    }
    const page = optionalString(parameters, 'page');
    const offset = page === undefined ? 0 : Number(SEARCH_PAGE.exec(page)?.[1] ?? NaN);
    if (!Number.isSafeInteger(offset)) {
      throw invalidParameter('parameter_invalid_string', 'page', `Invalid page: ${page}`);
    }
    const matches = [...this.paymentIntents.values()]
      .filter((paymentIntent) => clauses.every(({ key, value }) => paymentIntent.metadata[key] === value))
      .reverse();
    const hasMore = matches.length > offset + limit;
    return {
      object: 'search_result',
      data: matches.slice(offset, offset + limit).map(snapshot),
      has_more: hasMore,
      next_page: hasMore ? `page_${offset + limit}` : null,
      url: '/v1/payment_intents/search',
    };
  }

  /** POST /v1/refunds: refunds all that remains of a PaymentIntent's charge, or `amount` of it. */
  createRefund(parameters: FormParameters, request: ApiRequestContext): Stripe.Refund {
    assertKnownParameters(parameters, ['payment_intent', 'charge', 'amount', 'reason', 'metadata']);
    const requestedAmount = optionalInteger(parameters, 'amount');
    if (requestedAmount !== undefined && requestedAmount < 1) {
      throw invalidParameter('parameter_invalid_integer', 'amount', 'This value must be greater than or equal to 1.');
    }
    const reason = optionalString(parameters, 'reason');
    if (reason !== undefined && !REFUND_REASONS.includes(reason)) {
      throw invalidParameter(
        'parameter_invalid_string',
        'reason',
        `Invalid reason: must be one of ${REFUND_REASONS.join(', ')}`,
      );
    }
    const metadata = optionalMetadata(parameters);
    const charge = this.refundableCharge(
      optionalString(parameters, 'payment_intent'),
      optionalString(parameters, 'charge'),
    );

    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0) {
      throw invalidRequest('charge_already_refunded', `Charge ${charge.id} has already been refunded.`, {
        charge: charge.id,
      });
    }
    const amount = requestedAmount ?? remaining;
    if (amount > remaining) {
      throw invalidRequest(
        'amount_too_large',
        `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
        { param: 'amount', charge: charge.id },
      );
    }

    const refund: Stripe.Refund = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      balance_transaction: null,
      charge: charge.id,
      created: unixSeconds(),
      currency: charge.currency,
      customer: null,
      customer_account: null,
      metadata,
      payment_intent: charge.payment_intent,
      payment_method: charge.payment_method,
      reason: (reason as Stripe.Refund.Reason | undefined) ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.events.record('charge.refunded', snapshot(charge), request);
    return snapshot(refund);
  }

  /** GET /v1/refunds/:id */
  retrieveRefund(id: string): Stripe.Refund {
    const refund = this.refunds.get(id);
    if (!refund) throw resourceMissing(404, 'refund', id, 'refund');
    return snapshot(refund);
  }

  private storedPaymentIntent(id: string): Stripe.PaymentIntent {
    const paymentIntent = this.paymentIntents.get(id);
    // Stripe names the path parameter `intent` in this error.
    if (!paymentIntent) throw resourceMissing(404, 'payment_intent', id, 'intent');
    return paymentIntent;
  }

  private findPaymentMethod(id: string | undefined): TestPaymentMethod | undefined {
    if (id === undefined) return undefined;
    const method = findTestPaymentMethod(id);
    if (!method) throw resourceMissing(400, 'PaymentMethod', id, 'payment_method');
    return method;
  }

  /**
   * The card-only list, under its name in the caller's API version: `allowed_payment_method_types` since
   * 2026-10-28 (what SDK 23 sends), `payment_method_types` before. Either one turns automatic payment methods off.
   */
  private paymentMethodTypesParam(parameters: FormParameters): string | undefined {
    const allowed = optionalStringList(parameters, 'allowed_payment_method_types');
    const legacy = optionalStringList(parameters, 'payment_method_types');
    if (allowed && legacy) {
      throw invalidParameter(
        'parameters_exclusive',
        'payment_method_types',
        'You may only specify one of these parameters: allowed_payment_method_types, payment_method_types.',
      );
    }
    const param = allowed ? 'allowed_payment_method_types' : 'payment_method_types';
    const types = allowed ?? legacy;
    if (!types) return undefined;
    const unsupportedType = types.find((type) => type !== 'card');
    if (unsupportedType) {
      throw invalidParameter(
        'payment_intent_invalid_parameter',
        param,
        `The payment method type "${unsupportedType}" is not supported by the Ticketing Stripe emulator (only "card").`,
      );
    }
    return param;
  }

  private automaticPaymentMethods(automatic: FormParameters | undefined): Stripe.PaymentIntent.AutomaticPaymentMethods {
    if (!automatic) return { enabled: true, allow_redirects: 'always' };
    const enabled = optionalBoolean(automatic, 'enabled');
    if (enabled === undefined) throw parameterMissing('automatic_payment_methods[enabled]');
    const allowRedirects = optionalString(automatic, 'allow_redirects') ?? 'always';
    if (allowRedirects !== 'always' && allowRedirects !== 'never') {
      throw invalidParameter(
        'parameter_invalid_string',
        'automatic_payment_methods[allow_redirects]',
        `Invalid automatic_payment_methods[allow_redirects]: must be one of always, never`,
      );
    }
    return { enabled, allow_redirects: allowRedirects };
  }

  /**
   * Confirms: the test payment method decides. Success → `succeeded` with a charge; a decline → the
   * PaymentIntent goes back to `requires_payment_method` with `last_payment_error`, and the call answers
   * 402 with the card error (which embeds the PaymentIntent), exactly the two outcomes Stripe has for cards.
   */
  private attemptPayment(
    paymentIntent: Stripe.PaymentIntent,
    newPaymentMethod: TestPaymentMethod | undefined,
    returnUrl: string | undefined,
    request: ApiRequestContext,
  ): void {
    if (!CONFIRMABLE_STATUSES.includes(paymentIntent.status)) {
      throw invalidRequest(
        'payment_intent_unexpected_state',
        `You cannot confirm this PaymentIntent because it has a status of ${paymentIntent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE_STATUSES.join(', ')}.`,
        { payment_intent: snapshot(paymentIntent) },
      );
    }
    const paymentMethod =
      newPaymentMethod ??
      (paymentIntent.payment_method ? findTestPaymentMethod(String(paymentIntent.payment_method)) : undefined);
    if (!paymentMethod) {
      throw invalidRequest(
        'payment_intent_unexpected_state',
        "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, specify a payment_method.",
        { payment_intent: snapshot(paymentIntent) },
      );
    }
    const automatic = paymentIntent.automatic_payment_methods;
    if (automatic?.enabled && automatic.allow_redirects !== 'never' && !returnUrl) {
      // Real Stripe refuses this too: a server-side confirmation must either allow only `card`
      // (allowed_payment_method_types), pass automatic_payment_methods[allow_redirects]=never, or give a return_url.
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        message:
          "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
      });
    }

    const created = unixSeconds();
    const charge = this.newCharge(paymentIntent, paymentMethod, created);
    this.charges.set(charge.id, charge);
    paymentIntent.latest_charge = charge.id;

    const decline = paymentMethod.decline;
    if (!decline) {
      paymentIntent.payment_method = paymentMethod.id;
      paymentIntent.status = 'succeeded';
      paymentIntent.amount_received = paymentIntent.amount;
      paymentIntent.last_payment_error = null;
      this.events.record('payment_intent.succeeded', snapshot(paymentIntent), request);
      return;
    }

    const paymentMethodDetails = paymentMethodObject(paymentMethod, created);
    paymentIntent.payment_method = null;
    paymentIntent.status = 'requires_payment_method';
    paymentIntent.last_payment_error = {
      charge: charge.id,
      code: decline.code,
      decline_code: decline.declineCode,
      doc_url: docUrlFor(decline.code),
      message: decline.message,
      payment_method: paymentMethodDetails as unknown as Stripe.PaymentMethod,
      type: 'card_error',
    };
    this.events.record('payment_intent.payment_failed', snapshot(paymentIntent), request);
    throw new StripeApiError(402, {
      type: 'card_error',
      code: decline.code,
      decline_code: decline.declineCode,
      message: decline.message,
      charge: charge.id,
      doc_url: docUrlFor(decline.code),
      payment_intent: snapshot(paymentIntent),
      payment_method: paymentMethodDetails,
    });
  }

  private newCharge(paymentIntent: Stripe.PaymentIntent, method: TestPaymentMethod, created: number): Stripe.Charge {
    const succeeded = !method.decline;
    return {
      id: stripeId('ch'),
      object: 'charge',
      amount: paymentIntent.amount,
      amount_captured: succeeded ? paymentIntent.amount : 0,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: null,
      billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
      calculated_statement_descriptor: 'TICKETING',
      captured: succeeded,
      created,
      currency: paymentIntent.currency,
      customer: null,
      description: paymentIntent.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: method.decline?.code ?? null,
      failure_message: method.decline?.message ?? null,
      fraud_details: {},
      livemode: false,
      metadata: { ...paymentIntent.metadata },
      on_behalf_of: null,
      outcome: {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: succeeded ? 'approved_by_network' : 'declined_by_network',
        reason: method.decline?.declineCode ?? null,
        risk_level: 'normal',
        seller_message: succeeded
          ? 'Payment complete.'
          : 'The bank did not return any further details with this decline.',
        type: succeeded ? 'authorized' : 'issuer_declined',
      },
      paid: succeeded,
      payment_intent: paymentIntent.id,
      payment_method: method.id,
      payment_method_details: null,
      receipt_email: paymentIntent.receipt_email,
      receipt_number: null,
      receipt_url: null,
      refunded: false,
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: succeeded ? 'succeeded' : 'failed',
      transfer_data: null,
      transfer_group: null,
    };
  }

  /** The succeeded charge behind `payment_intent` (or `charge`), or Stripe's error for why there is none. */
  private refundableCharge(paymentIntentId: string | undefined, chargeId: string | undefined): Stripe.Charge {
    if (paymentIntentId === undefined && chargeId === undefined) {
      throw invalidParameter(
        'parameter_missing',
        'payment_intent',
        'One of the following params should be provided for this request: payment_intent or charge.',
      );
    }
    if (paymentIntentId !== undefined) {
      const paymentIntent = this.paymentIntents.get(paymentIntentId);
      if (!paymentIntent) throw resourceMissing(400, 'payment_intent', paymentIntentId, 'payment_intent');
      const charge = paymentIntent.latest_charge ? this.charges.get(String(paymentIntent.latest_charge)) : undefined;
      if (paymentIntent.status !== 'succeeded' || !charge) {
        throw invalidRequest(
          'payment_intent_unexpected_state',
          `This PaymentIntent (${paymentIntent.id}) does not have a successful charge to refund.`,
          { param: 'payment_intent' },
        );
      }
      return charge;
    }
    const charge = this.charges.get(chargeId as string);
    if (!charge) throw resourceMissing(400, 'charge', chargeId as string, 'charge');
    if (charge.status !== 'succeeded') {
      throw invalidRequest('charge_not_refundable', `Charge ${charge.id} has not succeeded and cannot be refunded.`, {
        param: 'charge',
      });
    }
    return charge;
  }
}
