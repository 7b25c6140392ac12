// The facade every service uses, and the types of its options and answers; the parts behind it stay internal.
export * from './event-bus';
export type { HandlerContext, AnyEnvelope, ListenerDefinition, ListenOptions, RunningListener } from './consumer';
export type { PublishEnvelopeOptions, PublishResult } from './publisher';
export { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-policy';
export * from './start-listeners';
export * from './consumer-pause';
export * from './retry-later-error';
export * from './permanent-event-error';
export {
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterKind,
  type StoredDeadLetter,
} from './dead-letters';
