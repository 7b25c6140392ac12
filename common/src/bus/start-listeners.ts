import type { Subject } from '../events';
import { isDatabaseUnavailable } from '../database';
import type { ReadinessProbe } from '../http/readiness';
import type { EventBus } from './event-bus';
import type { ListenerDefinition } from './consumer';
import type { OutagePolicy } from './consumer-pause';

export interface StartListenersOptions {
  /**
   * Durable consumers the service no longer binds (a listener renamed, or merged into another): deleted
   * before binding, so that the server stops keeping messages pending for them.
   */
  retiredDurables?: readonly string[];
  /**
   * The service's readiness probe (what `/readyz` answers). Given, a listener whose handler fails because a
   * dependency is down pauses as a whole and resumes once every check passes (docs/rules.md#rule-6);
   * without it, each failing event backs off on its own.
   */
  readiness?: ReadinessProbe;
  /**
   * Which failures mean "a dependency is down" rather than "this event failed": by default a connection
   * refused, ended or timed out (`isDatabaseUnavailable`: the socket errors, SQLSTATE 08xxx and 57P01–57P03,
   * a database refusing connections, the pool's connect timeout).
   */
  isDependencyDown?: (error: unknown) => boolean;
  /** How often a paused listener asks the readiness probe; defaults to DEFAULT_OUTAGE_PROBE_INTERVAL_MS. */
  probeIntervalMs?: number;
}

/** Every listener of a service, bound together and stopped together. */
export interface RunningListeners {
  readonly durables: readonly string[];
  /** Stops every listener, each letting the messages in hand settle first (within its grace). */
  stop(): Promise<void>;
}

/**
 * Binds every listener of a service. A service registers the result with its lifecycle as one part
 * (`lifecycle.onStop('listeners', () => listeners.stop())`) after the outbox relay, so the listeners
 * stop first and the events their last effects recorded are still relayed; tests stop it after their
 * file. If one listener cannot be bound, those already bound are stopped and the start fails.
 */
export async function startListeners(
  bus: EventBus,
  definitions: readonly ListenerDefinition<Subject>[],
  {
    retiredDurables = [],
    readiness,
    isDependencyDown = isDatabaseUnavailable,
    probeIntervalMs,
  }: StartListenersOptions = {},
): Promise<RunningListeners> {
  await bus.retireConsumers(retiredDurables);
  const outage: OutagePolicy | undefined = readiness && {
    isDependencyDown,
    isReady: oneAtATime(async () => Object.values((await readiness()).checks).every(Boolean)),
    probeIntervalMs,
  };
  const bound = await Promise.allSettled(definitions.map((definition) => bus.listen(definition, { outage })));
  const running = bound.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(running.map((listener) => listener.stop()));
  };
  const failed = bound.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { durables: running.map((listener) => listener.durable), stop };
}

/**
 * Calls `check` once for every caller waiting at the same moment: the paused listeners of a service share one
 * readiness probe (one `SELECT 1`) per interval rather than each sending its own.
 */
function oneAtATime(check: () => Promise<boolean>): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  return () => {
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  };
}
