export * from './event-bus';
export * from './retry-later-error';
