export * from './tables';
export * from './outbox';
export * from './unit-of-work';
export * from './inbox-listener';
