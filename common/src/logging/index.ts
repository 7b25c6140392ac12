export * from './logger';
export * from './sampled-lines';
export * from './quiet-child';
