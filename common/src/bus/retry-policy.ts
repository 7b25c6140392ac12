import { PermanentEventError } from './permanent-event-error';
import { RetryLaterError } from './retry-later-error';
import type { DeadLetterKind } from './dead-letters';

/**
 * How a listener retries an event whose handler failed for a transient reason (docs/rules.md#rule-6): with
 * capped backoff, for as long as the budget lasts, measured from when the event was stored. An outage of
 * a dependency must never turn into a lost event; only a payload that can never apply is given up early.
 */
export interface RetryPolicy {
  /** How long after it was stored an event is still retried; then it goes to the dead-letter subject. */
  budgetMs: number;
  /** First retry delay of a failing handler; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An event held (failing) for longer than this is reported: a warning per retry, and in `/readyz`. */
  stuckWarningMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  budgetMs: 24 * 60 * 60_000,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  stuckWarningMs: 60_000,
});

/**
 * The delay before retrying a delivery that failed: `baseDelayMs` doubled per earlier delivery, capped
 * (250 ms, 500 ms, 1 s … 30 s with the defaults), so a short hiccup costs little and a long outage costs
 * one attempt per `maxDelayMs`.
 */
export function retryDelayMs(deliveryCount: number, baseDelayMs: number, maxDelayMs: number): number {
  // The exponent is capped so a delivery count in the thousands (a day of retries) cannot overflow.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(20, Math.max(0, deliveryCount - 1)));
}

/** What becomes of an event whose handler failed. */
export type RetryDecision =
  /** Moved to the dead-letter subject and termed. */
  | { action: 'give-up'; kind: Extract<DeadLetterKind, 'permanent' | 'retry-budget-exhausted'> }
  /** Nak'd with this delay; `early` for an event that arrived before the one it follows (said more quietly). */
  | { action: 'retry'; delayMs: number; early: boolean };

/**
 * Transient or permanent: a {@link PermanentEventError} is given up at once; anything else is presumed
 * transient and retried with backoff until `spentMs` (the event's age, less the time its consumer sat out
 * paused) reaches the budget. A {@link RetryLaterError} starts its backoff from its own delay.
 */
export function decideRetry(
  policy: RetryPolicy,
  error: unknown,
  { deliveryCount, spentMs }: { deliveryCount: number; spentMs: number },
): RetryDecision {
  if (error instanceof PermanentEventError) return { action: 'give-up', kind: 'permanent' };
  if (spentMs >= policy.budgetMs) return { action: 'give-up', kind: 'retry-budget-exhausted' };
  const early = error instanceof RetryLaterError;
  const delayMs = retryDelayMs(deliveryCount, early ? error.delayMs : policy.baseDelayMs, policy.maxDelayMs);
  return { action: 'retry', delayMs, early };
}
