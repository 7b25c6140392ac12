export * from './database';
export * from './transactions';
