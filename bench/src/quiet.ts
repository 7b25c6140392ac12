/**
 * The quiet period: after healing, the harness waits until the system has finished reacting before it
 * judges it. Quiet means every outbox is published, every durable consumer has handled everything, no
 * order is still waiting for payment or expiry, and no charge has an unknown outcome: twice in a row, a few
 * seconds apart (a backstop job may wake up in between). There is a cap: a system that never settles is
 * checked anyway, and the report says what was still moving.
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

export async function waitForQuiet(
  databases: ServiceDatabases,
  inspector: StreamInspector,
  capMs: number,
  onProgress: (activity: string) => void,
): Promise<QuietOutcome> {
  const started = Date.now();
  let quietLooks = 0;
  let lastActivity = '';
  let lastReported = 0;
  for (;;) {
    lastActivity = await describeActivity(databases, inspector).catch(
      (error: unknown) => `cannot look: ${error instanceof Error ? error.message : String(error)}`,
    );
    quietLooks = lastActivity === '' ? quietLooks + 1 : 0;
    const waitedMs = Date.now() - started;
    if (quietLooks >= QUIET_LOOKS_NEEDED) return { quiet: true, waitedMs, lastActivity };
    if (waitedMs > capMs) return { quiet: false, waitedMs, lastActivity };
    if (lastActivity !== '' && Date.now() - lastReported > 15_000) {
      onProgress(lastActivity);
      lastReported = Date.now();
    }
    await sleep(LOOK_EVERY_MS);
  }
}

/** Everything still in motion, in one line; empty when nothing is. */
async function describeActivity(databases: ServiceDatabases, inspector: StreamInspector): Promise<string> {
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
    [[OrderStatus.Created, OrderStatus.AwaitingPayment]],
  );
  if (unpaid !== undefined && unpaid.count > 0) activity.push(`${unpaid.count} orders unpaid`);
  const [unsettled] = await databases.query<{ count: number }>(
    'payments',
    'SELECT count(*)::int AS count FROM charges WHERE status = $1',
    [ChargeStatus.Created],
  );
  if (unsettled !== undefined && unsettled.count > 0) activity.push(`${unsettled.count} charges of unknown outcome`);
  return activity.join('; ');
}
