import type { Subject } from '../events';
import type { EventBus, ListenerDefinition } from './event-bus';

export interface StartListenersOptions {
  /**
   * Durable consumers the service no longer binds (a listener renamed, or merged into another): deleted
   * before binding, so that the server stops keeping messages pending for them.
   */
  retiredDurables?: readonly string[];
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
  { retiredDurables = [] }: StartListenersOptions = {},
): Promise<RunningListeners> {
  await bus.retireConsumers(retiredDurables);
  const bound = await Promise.allSettled(definitions.map((definition) => bus.listen(definition)));
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
