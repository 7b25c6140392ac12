import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { TraceCarrier } from '../observability';

/** NATS headers carrying a trace context (`traceparent`, `tracestate`). */
export function traceHeaders(traceContext: TraceCarrier): MsgHdrs {
  const carried = headers();
  for (const [key, value] of Object.entries(traceContext)) carried.set(key, value);
  return carried;
}

/** The trace context a message carries in its headers, if any. */
export function traceContextOf(carried: MsgHdrs | undefined): TraceCarrier | undefined {
  const traceparent = carried?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = carried?.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
