'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { ErrorAlert, Notice } from '@/components/alert';
import { OrderStatusBadge } from '@/components/badges';
import { browserApi } from '@/lib/browser-api';
import { formatDateTime, formatPrice } from '@/lib/format';
import { isOrderOpen } from '@/lib/ticket-state';
import type { Charge, Order } from '@ticketing/common/api';
import { Countdown, countdownAnnouncement, useNow } from './countdown';
import { Receipt } from './receipt';
import { TestCardForm } from './test-card-form';

// Stripe Elements is only downloaded when a publishable key is configured (never in local mode).
const StripeCardForm = dynamic(() => import('./stripe-card-form').then((module) => module.StripeCardForm), {
  ssr: false,
  loading: () => <p className="hint">Loading the secure card form…</p>,
});

interface Props {
  order: Order;
  charges: Charge[];
  /** False when the payments service could not list the order's charges. */
  chargesKnown: boolean;
  stripePublishableKey?: string;
  serverNow: number;
}

// Orders learns about a payment or an expiry from an event, a moment after the API call that caused it.
const REFRESH_EVERY_MS = 1500;
const REFRESH_ATTEMPTS = 20;

/**
 * Everything on the order that changes while the buyer looks at it: countdown, payment, cancellation, receipt.
 * It stays mounted across `router.refresh()`, so a decline message survives the refresh that shows the order
 * as cancelled.
 */
export function OrderPanel({ order, charges, chargesKnown, stripePublishableKey, serverNow }: Props) {
  const router = useRouter();
  const now = useNow(serverNow);
  const [paying, setPaying] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [newCharge, setNewCharge] = useState<Charge | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [declined, setDeclined] = useState(false);
  // Payments refused the attempt (409): the order was cancelled, expired or paid meanwhile, which the order's
  // status shows a moment later. Paying again cannot succeed until then, so the form waits for it.
  const [refused, setRefused] = useState(false);
  const [cancelledHere, setCancelledHere] = useState(false);
  const [sawExpiry, setSawExpiry] = useState(false);
  const [announcement, setAnnouncement] = useState('');

  const completedCharge = newCharge ?? charges.find((charge) => charge.status === 'completed') ?? null;
  const failedCharge = charges.find((charge) => charge.status === 'failed');
  const open = isOrderOpen(order);
  const expired = now >= new Date(order.expiresAt).getTime();
  const payable = open && !completedCharge && !expired && !declined && !refused;
  // The order's status lags the payment or the expiry by an event; poll until it catches up.
  const waitingForServer = open && (Boolean(completedCharge) || expired || declined || refused);

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

  async function pay(paymentMethodId: string) {
    setPaying(true);
    setErrors([]);
    const result = await browserApi<Charge>('/api/payments', {
      method: 'POST',
      body: { orderId: order.id, paymentMethodId },
    });
    setPaying(false);
    if (result.ok) {
      setNewCharge(result.data);
      router.refresh();
      return;
    }
    if (result.status === 401) {
      router.push(`/auth/signin?next=${encodeURIComponent(`/orders/${order.id}`)}`);
      return;
    }
    // Every refusal shows the envelope's message: 402 declined, 409 (cancelled, e.g. after a decline, or
    // already paid), 429 too many attempts, 503 payments or Stripe unreachable.
    setErrors(result.errors.map((error) => error.message));
    if (result.status === 402) setDeclined(true);
    if (result.status === 409) setRefused(true);
    if (result.status === 402 || result.status === 409) router.refresh();
  }

  async function cancel() {
    setCancelling(true);
    setErrors([]);
    const result = await browserApi<void>(`/api/orders/${order.id}`, { method: 'DELETE' });
    setCancelling(false);
    if (result.ok) setCancelledHere(true);
    else setErrors(result.errors.map((error) => error.message));
    router.refresh();
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
                onPay={pay}
              />
            ) : (
              <TestCardForm amountLabel={amountLabel} pending={paying} disabled={!payable || cancelling} onPay={pay} />
            )}
            {payable && (
              <div className="button-row" style={{ marginTop: '1rem' }}>
                <button type="button" className="button button-danger" onClick={cancel} disabled={cancelling || paying}>
                  {cancelling ? 'Cancelling…' : 'Cancel order'}
                </button>
                <span className="hint">Releases the ticket for other buyers.</span>
              </div>
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
