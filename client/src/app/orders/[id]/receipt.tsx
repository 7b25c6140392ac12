import { formatCents } from '@/lib/format';
import type { Charge, ChargeStatus } from '@ticketing/common/api';

const CHARGE_STATUS_LABEL: Record<ChargeStatus, string> = {
  created: 'Processing',
  failed: 'Failed',
  completed: 'Completed',
};

export function Receipt({ charge, orderCancelled }: { charge: Charge; orderCancelled: boolean }) {
  return (
    <section className="panel" data-testid="receipt" aria-labelledby="receipt-heading">
      <h2 id="receipt-heading">Receipt</h2>
      <p className="lead">
        {charge.stripeRefundId
          ? 'This payment was refunded because the order was cancelled before it completed.'
          : orderCancelled
            ? 'The order was cancelled before your payment arrived, so the payment is being refunded.'
            : 'Thank you! Your payment went through and the ticket is yours.'}
      </p>
      <dl className="facts">
        <dt>Amount</dt>
        <dd className="price">{formatCents(charge.amount)}</dd>
        <dt>Status</dt>
        <dd data-status={charge.status}>
          {CHARGE_STATUS_LABEL[charge.status]}
          {charge.stripeRefundId ? ' (refunded)' : ''}
        </dd>
        <dt>Charge ID</dt>
        <dd>
          <code>{charge.id}</code>
        </dd>
        {charge.stripeId && (
          <>
            <dt>Payment reference</dt>
            <dd>
              <code>{charge.stripeId}</code>
            </dd>
          </>
        )}
        {charge.stripeRefundId && (
          <>
            <dt>Refund reference</dt>
            <dd>
              <code>{charge.stripeRefundId}</code>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
