/**
 * The quiet period: after healing, the harness waits until the system has finished reacting before it
 * judges it. Quiet means every outbox is published, every durable consumer has handled everything, no
 * order is still waiting for payment or expiry, no charge has an unknown outcome, and no order changed
 * recently enough that a backstop (orders' restatement) still owes it a pass: twice in a row, a few seconds
 * apart. There is a cap: a system that never settles is checked anyway, and the report says what was still
 * moving.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { ChargeStatus, OrderStatus } from '@ticketing/common';

import { SERVICES_WITH_DATABASE } from './chaos-stack';
import type { ServiceDatabases } from './databases';
import type { StreamInspector } from './stream';

export interface QuietOutcome {
  quiet: boolean;
  waitedMs: number;
  /** What was still moving at the last look, e.g. `orders outbox 3 unsent; payments-order-created 2 pending`. */
  lastActivity: string;
}

const LOOK_EVERY_MS = 3_000;
const QUIET_LOOKS_NEEDED = 2;

export interface QuietOptions {
  /** Longest wait. */
  capMs: number;
  /** How long after an order's last change the backstops have acted on it (restatement delay + interval). */
  backstopSettleSeconds: number;
  /** Called with what is still moving, every 15 s or so. */
  onProgress: (activity: string) => void;
  /** Ends the wait at once (Ctrl-C). */
  signal: AbortSignal;
}

export async function waitForQuiet(
  databases: ServiceDatabases,
  inspector: StreamInspector,
  { capMs, backstopSettleSeconds, onProgress, signal }: QuietOptions,
): Promise<QuietOutcome> {
  const started = Date.now();
  let quietLooks = 0;
  let lastActivity = '';
  let lastReported = 0;
  for (;;) {
    lastActivity = await describeActivity(databases, inspector, backstopSettleSeconds).catch(
      (error: unknown) => `cannot look: ${error instanceof Error ? error.message : String(error)}`,
    );
    quietLooks = lastActivity === '' ? quietLooks + 1 : 0;
    const waitedMs = Date.now() - started;
    if (quietLooks >= QUIET_LOOKS_NEEDED) return { quiet: true, waitedMs, lastActivity };
    if (waitedMs > capMs || signal.aborted) return { quiet: false, waitedMs, lastActivity };
    if (lastActivity !== '' && Date.now() - lastReported > 15_000) {
      onProgress(lastActivity);
      lastReported = Date.now();
    }
    await sleep(LOOK_EVERY_MS, undefined, { signal }).catch(() => undefined);
  }
}

/** Everything still in motion, in one line; empty when nothing is. */
async function describeActivity(
  databases: ServiceDatabases,
  inspector: StreamInspector,
  backstopSettleSeconds: number,
): Promise<string> {
  const activity: string[] = [];
  for (const service of SERVICES_WITH_DATABASE) {
    const [row] = await databases.query<{ unsent: number }>(
      service,
      'SELECT count(*)::int AS unsent FROM outbox WHERE sent_at IS NULL',
    );
    if (row !== undefined && row.unsent > 0) activity.push(`${service} outbox ${row.unsent} unsent`);
  }
  for (const [consumer, left] of await inspector.unfinishedConsumers()) activity.push(`${consumer} ${left} pending`);
  const [unpaid] = await databases.query<{ count: number }>(
    'orders',
    'SELECT count(*)::int AS count FROM orders WHERE status = ANY($1)',
    [[OrderStatus.Created]],
  );
  if (unpaid !== undefined && unpaid.count > 0) activity.push(`${unpaid.count} orders unpaid`);
  const [unsettled] = await databases.query<{ count: number }>(
    'payments',
    'SELECT count(*)::int AS count FROM charges WHERE status = $1',
    [ChargeStatus.Created],
  );
  if (unsettled !== undefined && unsettled.count > 0) activity.push(`${unsettled.count} charges of unknown outcome`);
  const [latest] = await databases.query<{ idle: number | null }>(
    'orders',
    'SELECT EXTRACT(EPOCH FROM now() - max(updated_at))::int AS idle FROM orders',
  );
  if (latest !== undefined && latest.idle !== null && latest.idle < backstopSettleSeconds) {
    activity.push(`an order changed ${latest.idle} s ago (backstops act within ${backstopSettleSeconds} s)`);
  }
  return activity.join('; ');
}
