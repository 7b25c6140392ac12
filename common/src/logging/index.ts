export * from './logger';
export * from './sampled-lines';
