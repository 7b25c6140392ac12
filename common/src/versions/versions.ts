/**
 * What a replica should do with version `incoming` of an entity it holds at `current` (undefined when it
 * has none yet), docs/rules.md#rule-3:
 * - `apply`: incoming is exactly the next version (or the first one, version 0, for an unknown entity);
 * - `duplicate`: already applied (incoming ≤ current): ack and change nothing;
 * - `early`: a version in between has not arrived yet: retry later (RetryLaterError).
 */
export type VersionDecision = 'apply' | 'duplicate' | 'early';

export function decideVersion(current: number | undefined, incoming: number): VersionDecision {
  if (current === undefined) return incoming === 0 ? 'apply' : 'early';
  if (incoming <= current) return 'duplicate';
  return incoming === current + 1 ? 'apply' : 'early';
}
