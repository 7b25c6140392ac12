export * from './event-bus';
export * from './start-listeners';
export * from './consumer-pause';
export * from './retry-later-error';
export * from './permanent-event-error';
export * from './dead-letters';
