export * from './event-stream';
export * from './live-views';
export * from './live-feed';
export * from './live-stream-config';
export * from './stream-buffers';
export * from './stream-slots';
