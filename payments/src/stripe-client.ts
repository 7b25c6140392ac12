import Stripe from 'stripe';
import { inSpan, isTracing, SpanKind, SpanStatusCode } from '@ticketing/common/observability';
import type { PaymentsConfig } from './config';

/** The key the local emulator accepts; never a real credential. */
export const EMULATOR_API_KEY = 'sk_test_ticketing_emulator';

/**
 * The official Stripe SDK, always: with `STRIPE_SECRET_KEY`, pointed at Stripe; without it, at the local
 * emulator (`STRIPE_API_URL`), so laptops and tests run the same code path as production.
 */
export function createStripeClient(config: Pick<PaymentsConfig, 'STRIPE_SECRET_KEY' | 'STRIPE_API_URL'>): Stripe {
  if (config.STRIPE_SECRET_KEY) {
    // Retrying is safe: every call we make carries an idempotency key.
    return new Stripe(config.STRIPE_SECRET_KEY, { maxNetworkRetries: 2, ...tracedHttpClient() });
  }
  const url = new URL(config.STRIPE_API_URL);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(EMULATOR_API_KEY, {
    host: url.hostname,
    port: url.port || (protocol === 'https' ? 443 : 80),
    protocol,
    // A down emulator should answer at once (tests rely on it); the caller's retry resumes the attempt.
    maxNetworkRetries: 0,
    telemetry: false,
    ...tracedHttpClient(),
  });
}

/**
 * With tracing on, the SDK's own HTTP client wrapped so that every request to Stripe is a client span of
 * the use case that made it (`stripe POST /v1/payment_intents`); nothing without tracing.
 */
function tracedHttpClient(): { httpClient?: Stripe.HttpClient } {
  if (!isTracing()) return {};
  const inner = Stripe.createNodeHttpClient();
  return {
    httpClient: {
      getClientName: () => inner.getClientName(),
      makeRequest: (host, port, path, method, headers, requestData, protocol, timeout) => {
        const [pathOnly = path] = path.split('?');
        return inSpan(
          `stripe ${method} ${pathPattern(pathOnly)}`,
          {
            kind: SpanKind.CLIENT,
            attributes: { 'http.request.method': method, 'server.address': host, 'url.path': pathOnly },
          },
          async (span) => {
            const response = await inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
            span?.setAttribute('http.response.status_code', response.getStatusCode());
            if (response.getStatusCode() >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
            return response;
          },
        );
      },
    },
  };
}

/** A Stripe path with its object ids (`pi_3Nx…`, `re_…`) replaced, so span names stay few. */
function pathPattern(path: string): string {
  return path
    .split('/')
    .map((segment) => (/^[a-z]+_(?=[A-Za-z0-9]*[0-9A-Z])[A-Za-z0-9]+$/.test(segment) ? ':id' : segment))
    .join('/');
}

/**
 * No answer from Stripe (network, an outage, rate limiting): nothing was learnt, and the same call may
 * succeed later. Other errors are answers (a decline, an invalid request) and will not change on retry.
 */
export function isStripeUnreachable(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError
  );
}
