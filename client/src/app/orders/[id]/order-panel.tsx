'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { startTransition, useActionState, useEffect, useRef, useState } from 'react';
import { ErrorAlert, Notice } from '@/components/alert';
import { OrderStatusBadge } from '@/components/badges';
import { formatDateTime, formatPrice } from '@/lib/format';
import { isOrderOpen } from '@/lib/ticket-state';
import type { Charge, Order } from '@ticketing/common/api';
import { useLiveView } from '@/lib/use-live-view';
import { cancelOrder, payForOrder, type CancelState, type PayState } from './actions';
import { Countdown, countdownAnnouncement, useNow } from './countdown';
import { Receipt } from './receipt';
import { TestCardForm } from './test-card-form';

// Stripe Elements is only downloaded when a publishable key is configured (never in local mode). It runs in the
// browser (the card goes to Stripe, never to us), so paying by card is the one thing here that needs JavaScript.
const StripeCardForm = dynamic(() => import('./stripe-card-form').then((module) => module.StripeCardForm), {
  ssr: false,
  loading: () => (
    <>
      <p className="hint">Loading the secure card form…</p>
      <noscript>
        <p className="alert alert-warning">
          Paying by card needs JavaScript: the card form is Stripe&apos;s and runs in your browser. Turn JavaScript on
          and reload this page to pay. You can still cancel the order without it.
        </p>
      </noscript>
    </>
  ),
});

const INITIAL_PAY_STATE: PayState = { status: null, errors: [], attempt: 0 };
const INITIAL_CANCEL_STATE: CancelState = { cancelled: false, errors: [] };

interface Props {
  order: Order;
  charges: Charge[];
  /** False when the payments service could not list the order's charges. */
  chargesKnown: boolean;
  stripePublishableKey?: string;
  serverNow: number;
}

// Orders learns about a payment or an expiry from an event, a moment after the API call that caused it: the
// order's stream says so when it happens; while the stream is not open, the page asks again every so often.
const REFRESH_EVERY_MS = 1500;
const REFRESH_ATTEMPTS = 20;
/** How far this browser's clock may be behind the server's for a cancellation at the deadline to read "expired". */
const EXPIRY_SKEW_MS = 1_000;

/**
 * Everything on the order that changes while the buyer looks at it: countdown, payment, cancellation, receipt.
 * Paying and cancelling are forms posting to server actions, so both work without JavaScript (the page the
 * server sends back shows the outcome). It stays mounted across the actions' re-renders and `router.refresh()`,
 * so a decline message survives the refresh that shows the order as cancelled.
 */
export function OrderPanel({ order: rendered, charges, chargesKnown, stripePublishableKey, serverNow }: Props) {
  const router = useRouter();
  // Orders owns the status, so the page follows the order itself (paid → complete, expired or declined →
  // cancelled), not the ticket another service mirrors from it.
  const { view: order, status: live } = useLiveView(
    rendered,
    `/api/orders/${encodeURIComponent(rendered.id)}/stream`,
    'order',
  );
  const now = useNow(serverNow);
  const [payState, payAction, paying] = useActionState(payForOrder, INITIAL_PAY_STATE);
  const [cancelState, cancelAction, cancelling] = useActionState(cancelOrder, INITIAL_CANCEL_STATE);
  const [sawExpiry, setSawExpiry] = useState(false);
  const [announcement, setAnnouncement] = useState('');

  const declined = payState.status === 402;
  // Payments refused the attempt (409): the order was cancelled, expired or paid meanwhile, which the order's
  // status shows a moment later. Paying again cannot succeed until then, so the form waits for it.
  const refused = payState.status === 409;
  const cancelledHere = cancelState.cancelled;
  // Every refusal shows the envelope's message: 402 declined, 409 (cancelled, e.g. after a decline, or already
  // paid), 429 too many attempts, 503 payments or Stripe unreachable; a new attempt clears it, and so does a
  // cancellation, after which paying is moot.
  const errors = paying || cancelling || cancelledHere ? [] : [...payState.errors, ...cancelState.errors];
  // A payment that went through brings the buyer back here (the action redirects), its charge in `charges`.
  const completedCharge = charges.find((charge) => charge.status === 'completed') ?? null;
  const failedCharge = charges.find((charge) => charge.status === 'failed');
  const open = isOrderOpen(order);
  const expired = now >= new Date(order.expiresAt).getTime();
  const payable = open && !completedCharge && !expired && !declined && !refused;
  // The order's status lags the payment or the expiry by an event; without the stream, poll until it catches up.
  const waitingForServer = open && (Boolean(completedCharge) || expired || declined || refused) && live !== 'open';

  // Speak the countdown's coarse changes (not its first value: the page shows it). This region lives here,
  // not in the countdown, so "expired" is still heard when the countdown gives way to the cancelled state.
  const spoken = open && !completedCharge && !declined ? countdownAnnouncement(order.expiresAt, now) : '';
  const [firstSpoken] = useState(spoken);
  useEffect(() => {
    if (spoken && spoken !== firstSpoken) setAnnouncement(spoken);
  }, [spoken, firstSpoken]);

  useEffect(() => {
    if (open && expired && !completedCharge) setSawExpiry(true);
  }, [open, expired, completedCharge]);

  // The stream may say "cancelled" before the countdown's next tick shows the deadline passed: an order that
  // was open on this screen and turned cancelled once its deadline had come (by this clock, give or take a
  // second of skew) ran out. One cancelled here, or declined, says so first (see the reasons below).
  const wasOpen = useRef(isOrderOpen(rendered));
  useEffect(() => {
    const deadline = new Date(order.expiresAt).getTime();
    if (wasOpen.current && order.status === 'cancelled' && Date.now() >= deadline - EXPIRY_SKEW_MS) setSawExpiry(true);
    wasOpen.current = isOrderOpen(order);
  }, [order]);

  // Settled on screen by the stream: the receipt (payments' charges) is read again with the page, once.
  useEffect(() => {
    if (order.version > rendered.version && !isOrderOpen(order)) router.refresh();
  }, [order, rendered.version, router]);

  useEffect(() => {
    if (!waitingForServer) return;
    let attempts = 0;
    const timer = setInterval(() => {
      attempts += 1;
      router.refresh();
      if (attempts >= REFRESH_ATTEMPTS) clearInterval(timer);
    }, REFRESH_EVERY_MS);
    return () => clearInterval(timer);
  }, [waitingForServer, router]);

  // Stripe Elements hands over the PaymentMethod it created in the browser: the same action as the test cards.
  function payWith(paymentMethodId: string) {
    const data = new FormData();
    data.set('orderId', order.id);
    data.set('paymentMethodId', paymentMethodId);
    startTransition(() => payAction(data));
  }

  const amountLabel = formatPrice(order.ticket.price);

  return (
    <div className="detail-grid">
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
      <section className="panel" aria-labelledby="order-heading">
        <p className="meta">
          <Link href="/orders">← See all orders</Link>
        </p>
        <h1 id="order-heading" style={{ overflowWrap: 'anywhere' }}>
          {order.ticket.title}
        </h1>
        <p>
          <span className="visually-hidden">Order status: </span>
          <OrderStatusBadge status={order.status} />
        </p>
        <dl className="facts">
          <dt>Price</dt>
          <dd className="price">{amountLabel}</dd>
          <dt>Ticket</dt>
          <dd>
            <Link href={`/tickets/${order.ticket.id}`}>View the ticket</Link>
          </dd>
          <dt>Order ID</dt>
          <dd>
            <code>{order.id}</code>
          </dd>
          {open && (
            <>
              <dt>Reserved until</dt>
              <dd>
                <time dateTime={order.expiresAt}>{formatDateTime(order.expiresAt)}</time>
              </dd>
            </>
          )}
        </dl>
      </section>

      <div>
        <ErrorAlert messages={errors} />
        {errors.length > 0 && <div style={{ height: '1rem' }} />}

        {completedCharge ? (
          <>
            {open && (
              <p className="meta" role="status">
                Payment received. Confirming your order…
                <noscript> Reload the page in a moment to see it complete.</noscript>
              </p>
            )}
            <Receipt charge={completedCharge} orderCancelled={order.status === 'cancelled'} />
          </>
        ) : order.status === 'complete' ? (
          <section className="panel">
            <h2>Paid</h2>
            <p className="lead">
              {chargesKnown
                ? 'This order is complete.'
                : 'This order is complete. The receipt cannot be loaded right now; reload the page in a moment.'}
            </p>
          </section>
        ) : order.status === 'cancelled' ? (
          <CancelledNotice
            order={order}
            reason={
              declined || failedCharge
                ? 'declined'
                : cancelledHere
                  ? 'cancelled-here'
                  : sawExpiry
                    ? 'expired'
                    : now < new Date(order.expiresAt).getTime()
                      ? 'cancelled'
                      : 'unknown'
            }
          />
        ) : (
          <section className="panel" aria-labelledby="pay-heading">
            <h2 id="pay-heading">Pay for your ticket</h2>
            <Countdown expiresAt={order.expiresAt} now={now} />
            <noscript>
              <p className="hint">
                Without JavaScript the time left does not count down: reload the page to update it.
              </p>
            </noscript>
            <div style={{ height: '1rem' }} />
            {declined ? (
              <p className="lead">This order is being cancelled; the ticket goes back on sale.</p>
            ) : expired ? (
              <p className="lead">
                The reservation ran out before payment, so the ticket goes back on sale.{' '}
                <Link href={`/tickets/${order.ticket.id}`}>See if it is still available</Link>.
              </p>
            ) : stripePublishableKey ? (
              <StripeCardForm
                publishableKey={stripePublishableKey}
                amountLabel={amountLabel}
                pending={paying}
                disabled={!payable || cancelling}
                onPay={payWith}
              />
            ) : (
              <TestCardForm
                action={payAction}
                orderId={order.id}
                chosen={payState.paymentMethodId}
                amountLabel={amountLabel}
                pending={paying}
                disabled={!payable || cancelling}
              />
            )}
            {payable && (
              <form action={cancelAction} className="button-row" style={{ marginTop: '1rem' }} aria-busy={cancelling}>
                <input type="hidden" name="orderId" value={order.id} />
                <button type="submit" className="button button-danger" disabled={cancelling || paying}>
                  {cancelling ? 'Cancelling…' : 'Cancel order'}
                </button>
                <span className="hint">Releases the ticket for other buyers.</span>
              </form>
            )}
          </section>
        )}
      </div>
    </div>
  );
}

// The API records no cancellation reason; these are what this page saw, or can tell from the clock.
type CancelReason = 'declined' | 'cancelled-here' | 'expired' | 'cancelled' | 'unknown';

const CANCEL_REASON: Record<CancelReason, string> = {
  declined: 'The payment was declined, so this order was cancelled. You have not been charged.',
  'cancelled-here': 'You cancelled this order. You have not been charged.',
  expired: 'The reservation expired before payment, so this order was cancelled. You have not been charged.',
  cancelled: 'This order was cancelled. You have not been charged.',
  unknown: 'This order was cancelled before it was paid: it was cancelled, or its reservation expired.',
};

function CancelledNotice({ order, reason }: { order: Order; reason: CancelReason }) {
  return (
    <section className="panel" aria-labelledby="cancelled-heading">
      <h2 id="cancelled-heading">Order cancelled</h2>
      <Notice tone="warning">
        <p>{CANCEL_REASON[reason]}</p>
      </Notice>
      <p style={{ marginTop: '1rem' }}>
        <Link href={`/tickets/${order.ticket.id}`}>Back to the ticket</Link> — it may be for sale again.
      </p>
    </section>
  );
}
