import { z } from 'zod';

/**
 * Streams one process holds open by default. An open stream costs about 40 kB of a service's memory (measured
 * through the whole middleware stack: socket, request and response, log context), so 2,000 add about 80 MB to
 * a service's ~110 MB, inside the 256 MiB its pod may use. Raise it together with the memory limit.
 */
export const DEFAULT_LIVE_STREAMS_PER_PROCESS = 2_000;

/**
 * The share of a process's streams one client address may hold when SSE_MAX_CLIENTS_PER_ADDRESS is unset: a
 * twentieth (100 of the default 2,000). A household or an office behind one address has room for every tab;
 * one machine cannot take the streams of everyone else.
 */
export const DEFAULT_ADDRESS_SHARE_OF_STREAMS = 1 / 20;

/**
 * Unsent bytes one stream may hold by default before it is dropped: a hundred updates of a ticket, or a full
 * snapshot of a page of cards (100 tickets) and more.
 */
export const DEFAULT_STREAM_BUFFER_KB = 64;

/**
 * Unsent bytes one process's streams may hold together by default: 16 MiB, next to the ~190 MB of 2,000 open
 * streams, inside the pod's 256 MiB (2,000 clients that never read, at 64 KiB each, would be 128 MiB).
 */
export const DEFAULT_PROCESS_STREAM_BUFFER_MB = 16;

/**
 * Variables of a service that serves live views as server-sent events (see {@link LiveViews}). Services
 * extend their environment with this object.
 */
export const liveStreamEnvironment = z.object({
  /**
   * Streams one process holds open at once; the next is answered 503 with Retry-After (the browser tries
   * again later, and the page it rendered stays as it was). Streams are idle sockets, not work in flight:
   * they do not count against HTTP_MAX_IN_FLIGHT once open.
   */
  SSE_MAX_CLIENTS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_LIVE_STREAMS_PER_PROCESS),
  /**
   * Streams one client address (as seen through `trust proxy`) may hold open in one process; the next is
   * answered 429 with Retry-After. Unset: a twentieth of SSE_MAX_CLIENTS, at least 1.
   */
  SSE_MAX_CLIENTS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).optional(),
  /**
   * KiB a stream may hold that its client has not read; with more when its next event is due, it is closed
   * (the browser reconnects with Last-Event-ID and gets the snapshot).
   */
  SSE_MAX_BUFFER_KB_PER_STREAM: z.coerce.number().int().min(4).max(65_536).default(DEFAULT_STREAM_BUFFER_KB),
  /** MiB one process's streams may hold that their clients have not read; past it, the slowest readers go first. */
  SSE_MAX_BUFFER_MB: z.coerce.number().int().min(1).max(4_096).default(DEFAULT_PROCESS_STREAM_BUFFER_MB),
  /**
   * Seconds between the comments an idle stream is sent: well under every proxy's idle timeout on the way
   * (ingress-nginx and most load balancers: 60 s), so none of them cuts a stream that has nothing to say.
   */
  SSE_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(50).default(15),
});

export type LiveStreamConfig = z.output<typeof liveStreamEnvironment>;

/** The stream settings {@link LiveViews} takes from a service's config. */
export interface LiveStreamSettings {
  maxStreams: number;
  maxStreamsPerAddress: number;
  maxBufferedBytesPerStream: number;
  maxBufferedBytes: number;
  heartbeatMs: number;
}

/** The stream settings {@link LiveViews} takes, from a service's parsed config. */
export function liveStreamSettings(config: LiveStreamConfig): LiveStreamSettings {
  return {
    maxStreams: config.SSE_MAX_CLIENTS,
    maxStreamsPerAddress:
      config.SSE_MAX_CLIENTS_PER_ADDRESS ??
      Math.max(1, Math.floor(config.SSE_MAX_CLIENTS * DEFAULT_ADDRESS_SHARE_OF_STREAMS)),
    maxBufferedBytesPerStream: config.SSE_MAX_BUFFER_KB_PER_STREAM * 1024,
    maxBufferedBytes: config.SSE_MAX_BUFFER_MB * 1024 * 1024,
    heartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000,
  };
}
