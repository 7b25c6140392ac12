import { z } from 'zod';

/**
 * Streams one process holds open by default. An open stream costs about 40 kB of a service's memory (measured
 * through the whole middleware stack: socket, request and response, log context), so 2,000 add about 80 MB to
 * a service's ~110 MB, inside the 256 MiB its pod may use. Raise it together with the memory limit.
 */
export const DEFAULT_LIVE_STREAMS_PER_PROCESS = 2_000;

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
   * Seconds between the comments an idle stream is sent: well under every proxy's idle timeout on the way
   * (ingress-nginx and most load balancers: 60 s), so none of them cuts a stream that has nothing to say.
   */
  SSE_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(50).default(15),
});

export type LiveStreamConfig = z.output<typeof liveStreamEnvironment>;

/** The stream settings {@link LiveViews} takes, from a service's parsed config. */
export function liveStreamSettings(config: LiveStreamConfig): { maxStreams: number; heartbeatMs: number } {
  return { maxStreams: config.SSE_MAX_CLIENTS, heartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000 };
}
