export * from './versions';
export * from './replica-changes';
