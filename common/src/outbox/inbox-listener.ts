import type { Executor } from '../database';
import type { Subject } from '../events';
import type { AnyEnvelope, HandlerContext, ListenerDefinition } from '../bus';
import type { EventRecorder, UnitOfWork } from './unit-of-work';

export interface InboxEffectContext<S extends Subject> extends HandlerContext {
  tx: Executor;
  /** Events the effect owes, published by the relay after commit. */
  events: EventRecorder;
  event: AnyEnvelope<S>;
}

export interface InboxListenerDefinition<S extends Subject> extends Omit<ListenerDefinition<S>, 'handle'> {
  /** The effect of the event, run once per event id, in one transaction with its inbox record. */
  apply(data: AnyEnvelope<S>['data'], context: InboxEffectContext<S>): Promise<void>;
  /**
   * Runs once the effect has committed, or was found committed already (a redelivery), never when it
   * failed: the moment to wake what in this process waits to read the effect.
   */
  afterCommit?(data: AnyEnvelope<S>['data']): void;
}

/**
 * A listener whose effect runs at most once per event (docs/rules.md#rule-2): the event id is recorded in
 * `processed_events` in the same transaction as the effect, and the bus acks only after that commit.
 * A redelivery is acked without touching anything.
 */
export function inboxListener<S extends Subject>(
  unitOfWork: UnitOfWork,
  definition: InboxListenerDefinition<S>,
): ListenerDefinition<S> {
  const { apply, afterCommit, ...rest } = definition;
  return {
    ...rest,
    async handle(event, context) {
      const applied = await unitOfWork.applyOnce(definition.durable, event.id, (tx, events) =>
        apply(event.data, { ...context, tx, events, event }),
      );
      if (!applied) context.logger.info('duplicate event ignored');
      afterCommit?.(event.data);
    },
  };
}
