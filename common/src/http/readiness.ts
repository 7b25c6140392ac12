import type { EventBus } from '../bus';
import type { Database } from '../database';

/** What `/readyz` answers: each dependency reachable or not, and details an operator wants beside them. */
export interface Readiness {
  checks: Record<string, boolean>;
  details?: Record<string, unknown>;
}

export type ReadinessProbe = () => Promise<Readiness>;

export interface ReadinessParts {
  /** Checked with `SELECT 1`. */
  database?: Pick<Database, 'isReachable'>;
  /**
   * Connected; its held events (a consumer stuck on a failing event) and its paused consumers (a dependency
   * down) are shown as details.
   */
  bus?: Pick<EventBus, 'isConnected' | 'heldEvents' | 'pausedConsumers'>;
  /** Any other dependency, by name. */
  checks?: Record<string, () => Promise<boolean>>;
}

/**
 * The readiness probe of a service from its dependencies. A consumer holding an event that keeps failing
 * does not make the service unready (taking it out of rotation would not help the dependency it waits
 * for), but it is listed under `details.heldEvents`, oldest first; a consumer paused because a dependency is
 * down (docs/rules.md#rule-6) is listed under `details.pausedConsumers`, and resumes once this probe passes.
 */
export function probeReadiness({ database, bus, checks = {} }: ReadinessParts): ReadinessProbe {
  return async () => {
    const results: Record<string, boolean> = {};
    if (database) results.database = await database.isReachable();
    if (bus) results.bus = bus.isConnected();
    for (const [name, check] of Object.entries(checks)) results[name] = await check().catch(() => false);
    if (!bus) return { checks: results };
    return { checks: results, details: { heldEvents: bus.heldEvents(), pausedConsumers: bus.pausedConsumers() } };
  };
}
