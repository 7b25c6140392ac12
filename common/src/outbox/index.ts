export * from './tables';
export * from './outbox';
export * from './inbox-listener';
