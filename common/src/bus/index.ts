export * from './event-bus';
export * from './retry-later-error';
export * from './permanent-event-error';
export * from './dead-letters';
