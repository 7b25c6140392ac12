import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import { httpRequestDuration, metricsRegistry } from './metrics';
import { isTracing, startSpan } from './tracing';

/** The label of a request no route took: an unknown path, or one refused before routing (busy). */
export const UNMATCHED_ROUTE = 'unmatched';

/** The pattern of the route that answered (`/api/orders/:id`), never the path itself: bounded cardinality. */
export function routePatternOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || route.path === undefined) return UNMATCHED_ROUTE;
  return `${req.baseUrl}${String(route.path)}`;
}

/**
 * Times every request into `http_request_duration_seconds` by route pattern, method and status. Mounted
 * first, so a request shed by admission control (503) counts too, with the time it waited.
 */
export function measureRequests(): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      httpRequestDuration.observe(
        { method: req.method, route: routePatternOf(req), status_code: res.statusCode },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/**
 * A server span per request, when tracing is on (undefined otherwise: nothing to mount). It continues the
 * caller's trace when the request carries `traceparent`, is named by route pattern once routed
 * (`POST /api/orders`), and is active for everything the request does: use cases, transactions, the events
 * they record. Mounted after admission control, so a queued request does not borrow the context of the
 * request whose end let it start.
 */
export function traceRequests(): RequestHandler | undefined {
  if (!isTracing()) return undefined;
  return (req, res, next) => {
    const parentContext = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = startSpan(req.method, {
      kind: SpanKind.SERVER,
      parentContext,
      attributes: { 'http.request.method': req.method, 'url.path': req.path },
    });
    if (!span) {
      next();
      return;
    }
    const active = trace.setSpan(parentContext, span);
    // The body arrives in events of the request stream, which run in the context they are emitted in:
    // bound, their listeners (the JSON parser, and the handlers it calls next) run in this request's.
    context.bind(active, req);
    context.bind(active, res);
    res.once('close', () => {
      const route = routePatternOf(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute('http.aborted', true);
      span.end();
    });
    context.with(active, next);
  };
}

/** `GET /metrics`: this process's registry in Prometheus' text format. */
export function serveMetrics(): RequestHandler {
  return async (_req, res) => {
    const body = await metricsRegistry.metrics();
    res.setHeader('content-type', metricsRegistry.contentType);
    res.send(body);
  };
}
