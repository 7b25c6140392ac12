import {
  execute,
  preparedText,
  rowOf,
  runStatements,
  selectListOf,
  sqlLiteral,
  type Executor,
} from '@ticketing/common/database';
import { ChargeStatus, OrderStatus } from '@ticketing/common/events';
import { charges, orders, type Charge, type OrderReplica } from './schema';

const ORDER = selectListOf(orders);
const CHARGE = selectListOf(charges);
const CANCELLED = sqlLiteral(OrderStatus.Cancelled);

// Prepared once per connection (runStatements); `$1` the order, `$2` the version it is cancelled at.
const CANCEL_ON_PREVIOUS_VERSION = preparedText(
  'payments_text_cancel_on_previous_version',
  `UPDATE "orders" SET "status" = ${CANCELLED}, "version" = $2 WHERE "id" = $1 AND "version" = $2 - 1 RETURNING ${ORDER}`,
);

const CHARGES_TO_REFUND = preparedText(
  'payments_text_charges_to_refund',
  `SELECT ${CHARGE} FROM "charges" WHERE "order_id" = $1 AND "status" = ${sqlLiteral(ChargeStatus.Completed)} ` +
    `AND "stripe_refund_id" IS NULL ` +
    `AND EXISTS (SELECT 1 FROM "orders" WHERE "id" = $1 AND "status" = ${CANCELLED} AND "version" = $2) FOR UPDATE`,
);

/**
 * order.cancelled's usual case in one round trip, two statements each on a snapshot of its own (read committed):
 * 1. the replica cancelled at `version`, on version − 1 only (the owner's version on top of the one before, docs/rules.md#rule-3), which takes the order's row
 *    lock, the lock every money decision takes first; after a wait for it PostgreSQL reads the row again;
 * 2. when the replica is now cancelled at `version`, its completed charges without a refund, locked (as
 *    lockUnrefundedCompletedCharges). Its snapshot is taken with the order's row lock held, so a payment that
 *    held that lock before has committed its charge, and this sees it. (One statement for both would read
 *    the charges on a snapshot from before the wait, and miss that charge: money kept on a cancelled order.)
 * Resolves to the replica as cancelled, undefined when the update matched nothing (an early or repeated
 * event), and to the charges to refund.
 */
export async function cancelOrderAndLockCharges(
  tx: Executor,
  orderId: string,
  version: number,
): Promise<{ cancelled: OrderReplica | undefined; charges: Charge[] }> {
  const id = sqlLiteral(orderId);
  const to = Math.trunc(version);
  const [updated, locked] = await runStatements(tx, [
    execute(CANCEL_ON_PREVIOUS_VERSION, id, to),
    execute(CHARGES_TO_REFUND, id, to),
  ]);
  const [row] = (updated?.rows ?? []) as Record<string, unknown>[];
  return {
    cancelled: row === undefined ? undefined : rowOf(orders, row),
    charges: ((locked?.rows ?? []) as Record<string, unknown>[]).map((charge) => rowOf(charges, charge)),
  };
}
