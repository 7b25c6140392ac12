import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Logger } from 'pino';
import type { ServiceLifecycle } from '../service/run-service';

export { SpanKind, SpanStatusCode } from '@opentelemetry/api';

/**
 * A trace context as it travels outside the process: the W3C `traceparent` (and `tracestate` when there
 * is one), as HTTP headers, NATS message headers, or a stored column (an outbox row, an order) carry it.
 */
export type TraceCarrier = Record<string, string>;

export interface TracingOptions {
  /** `service.name` of every span of this process: auth, tickets, orders, payments, expiration. */
  serviceName: string;
  /**
   * The OTLP/HTTP endpoint of a collector (`OTEL_EXPORTER_OTLP_ENDPOINT`), without `/v1/traces`. Unset,
   * no SDK starts: every helper here then runs its work as it is, at the cost of one check.
   */
  endpoint?: string;
  logger: Logger;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Sends the spans ended so far without waiting for the next batch. */
  flush(): Promise<void>;
  /** Sends the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

/** Set while an SDK runs in this process: the one switch every helper reads. */
let tracer: Tracer | undefined;
let provider: NodeTracerProvider | undefined;

/**
 * Starts OpenTelemetry tracing for this process when an endpoint is given: spans go in batches to
 * `<endpoint>/v1/traces` (OTLP/HTTP, JSON), the active span follows async work (AsyncLocalStorage), and
 * `traceparent`/`tracestate` are the propagation format. The SDK's own `OTEL_BSP_*` variables tune the
 * batching. Without an endpoint nothing starts and nothing is loaded into the hot path.
 */
export function startTracing(options: TracingOptions): Tracing {
  if (!options.endpoint) return { enabled: false, flush: async () => undefined, shutdown: async () => undefined };
  if (provider) throw new Error('tracing is already started in this process');
  // Loaded here, not at the top: a process without an endpoint never loads the SDK (100–400 ms of a start).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { BatchSpanProcessor, NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const base = options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`;
  const exporter = new OTLPTraceExporter({ url: new URL('v1/traces', base).toString() });
  const started = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  started.register();
  // The SDK reports a collector it cannot reach through diag; silent by default, which hides a lost trace.
  const logger = options.logger.child({ component: 'tracing' });
  diag.setLogger(
    {
      error: (message, ...args) => logger.warn({ args }, message),
      warn: (message, ...args) => logger.warn({ args }, message),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  provider = started;
  tracer = trace.getTracer('@ticketing/common');
  logger.info({ endpoint: options.endpoint }, 'tracing to an OTLP endpoint');
  return {
    enabled: true,
    flush: () => started.forceFlush(),
    async shutdown() {
      if (provider !== started) return;
      tracer = undefined;
      provider = undefined;
      await started.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}

/**
 * Starts tracing for a service when its config names an endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`), and
 * flushes the last spans when it stops. Call it first in `runService`, so it is stopped last.
 */
export function startServiceTracing(
  lifecycle: Pick<ServiceLifecycle, 'onStop'>,
  config: { OTEL_EXPORTER_OTLP_ENDPOINT?: string },
  serviceName: string,
  logger: Logger,
): Tracing {
  const tracing = startTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, logger });
  if (tracing.enabled) lifecycle.onStop('tracing', () => tracing.shutdown());
  return tracing;
}

/** True while spans are recorded (an endpoint was configured). */
export function isTracing(): boolean {
  return tracer !== undefined;
}

/** The active trace context as a carrier to store or send, or undefined (no tracing, or no span). */
export function currentTraceCarrier(): TraceCarrier | undefined {
  if (!tracer) return undefined;
  const active = context.active();
  if (!trace.getSpanContext(active)) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carrier describes, under no other (a carrier without a valid `traceparent`: a new trace). */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /**
   * Where the span hangs. Absent: under the active span. A carrier: under the context that travelled in
   * it (an event's headers, a stored row), whatever is active; `null`: at the root of a new trace.
   */
  parent?: TraceCarrier | null;
}

/**
 * Runs `work` inside a new span (active for everything `work` awaits) and ends it when `work` settles; a
 * rejection is recorded on the span and rethrown. Without tracing, runs `work` with no span.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracer) return work(undefined);
  const parent = options.parent === undefined ? context.active() : contextFromCarrier(options.parent);
  const span = tracer.startSpan(
    name,
    { kind: options.kind, attributes: options.attributes, links: options.links },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(span);
    } catch (error) {
      markSpanFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `work` in the trace of an entity rather than of the request at hand: under the context stored
 * with the entity (an order's, so that paying it joins the trace its reservation began), linked to the
 * active span (the request) so either trace leads to the other. Without a stored context, under the
 * active span as usual.
 */
export function inTraceOf<T>(
  name: string,
  stored: TraceCarrier | null | undefined,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracer || !stored) return inSpan(name, {}, work);
  const requestSpan = trace.getSpanContext(context.active());
  return inSpan(name, { parent: stored, links: requestSpan ? [{ context: requestSpan }] : [] }, work);
}

/** Marks a span failed: an exception event with the error, and status ERROR with its message. */
export function markSpanFailed(span: Span | undefined, error: unknown, attributes?: Attributes): void {
  if (!span) return;
  if (error instanceof Error) span.recordException(error);
  if (attributes) span.setAttributes(attributes);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The span of the active context (undefined without tracing). */
export function activeSpan(): Span | undefined {
  return tracer ? trace.getActiveSpan() : undefined;
}

/** Starts a span without making it active (the HTTP middleware activates it itself). */
export function startSpan(name: string, options: SpanOptions & { parentContext: Context }): Span | undefined {
  return tracer?.startSpan(
    name,
    { kind: options.kind, attributes: options.attributes, links: options.links },
    options.parentContext,
  );
}
