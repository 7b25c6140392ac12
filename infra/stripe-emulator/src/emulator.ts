/**
 * @ticketing/stripe-emulator: a small stand-in for the Stripe API that the payments service reaches through
 * the real `stripe` SDK (host/port/protocol pointed here) on laptops and in tests. It answers exactly the
 * calls payments makes — PaymentIntents, refunds, idempotent requests — with Stripe's object shapes and error
 * bodies, and sends signed webhook events. State lives in memory and dies with the process.
 */
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { createLogger, type Logger } from '@ticketing/common';
import { EMULATOR_WEBHOOK_SECRET } from './constants';
import { idempotentRequests } from './idempotency';
import { PaymentLedger } from './payments';
import { assignRequestId, markNotSavedForIdempotency, requestIdOf, requireTestSecretKey } from './request-context';
import { createEmulatorEventsRouter } from './routes/emulator-events';
import { createPaymentIntentsRouter } from './routes/payment-intents';
import { createRefundsRouter } from './routes/refunds';
import { StripeApiError } from './stripe-error';
import { WebhookDispatcher } from './webhooks';

export { EMULATOR_API_KEY, EMULATOR_DEFAULT_PORT, EMULATOR_WEBHOOK_SECRET } from './constants';
export { signWebhookPayload, WEBHOOK_RETRY_DELAYS_MS, type EmulatedEvent } from './webhooks';

export interface StripeEmulatorOptions {
  /** Where events are POSTed (e.g. the payments service's webhook route); without it they are only listed. */
  webhookUrl?: string;
  /** Signs the `Stripe-Signature` header; defaults to EMULATOR_WEBHOOK_SECRET. */
  webhookSecret?: string;
  /** Defaults to a silent logger. */
  logger?: Logger;
}

export interface RunningStripeEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  host: string;
  port: number;
  /** Stops listening, then cancels pending webhook retries. */
  close(): Promise<void>;
}

interface StripeEmulator {
  app: express.Express;
  webhooks: WebhookDispatcher;
}

function buildStripeEmulator(options: StripeEmulatorOptions): StripeEmulator {
  const logger = options.logger ?? createLogger({ service: 'stripe-emulator', level: 'silent' });
  const webhooks = new WebhookDispatcher({
    url: options.webhookUrl,
    secret: options.webhookSecret ?? EMULATOR_WEBHOOK_SECRET,
    logger,
  });
  const ledger = new PaymentLedger(webhooks);

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.json({ status: 'ready', checks: {} });
  });
  app.use('/_emulator', createEmulatorEventsRouter(webhooks));

  app.use('/v1', assignRequestId, (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.once('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      logger.info(
        {
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          requestId: requestIdOf(res),
          replayed: res.getHeader('Idempotent-Replayed') === 'true' || undefined,
          durationMs: Math.round(durationMs * 10) / 10,
        },
        'stripe request',
      );
    });
    next();
  });
  app.use('/v1', requireTestSecretKey);
  // The SDK sends form-encoded bodies with nested keys (`metadata[orderId]=…`), never JSON.
  app.use('/v1', express.urlencoded({ extended: true, limit: '100kb' }));
  app.use('/v1', idempotentRequests());
  app.use('/v1/payment_intents', createPaymentIntentsRouter(ledger));
  app.use('/v1/refunds', createRefundsRouter(ledger));

  app.use('/v1', (req) => {
    throw new StripeApiError(
      404,
      {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${req.method}: ${req.originalUrl.split('?')[0]}). The Ticketing Stripe emulator answers only what its README lists.`,
      },
      false,
    );
  });

  const writeStripeError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    if (error instanceof StripeApiError) {
      if (!error.savedForIdempotency) markNotSavedForIdempotency(res);
      res.status(error.statusCode).json({ error: error.body });
      return;
    }
    // body-parser's errors (malformed or oversized body) carry a 4xx status: the caller's fault.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      markNotSavedForIdempotency(res);
      res.status(400).json({
        error: { type: 'invalid_request_error', message: `Invalid request: ${(error as Error).message}` },
      });
      return;
    }
    logger.error({ err: error, requestId: requestIdOf(res) }, 'emulator failure');
    res
      .status(500)
      .json({ error: { type: 'api_error', message: 'An unknown error occurred in the Stripe emulator.' } });
  };
  app.use(writeStripeError);

  return { app, webhooks };
}

/** The emulator as an Express app (never listens), for supertest or mounting elsewhere. */
export function createStripeEmulatorApp(options: StripeEmulatorOptions): express.Express {
  return buildStripeEmulator(options).app;
}

/**
 * Starts the emulator on `host` (default 127.0.0.1) and `port` (default 0: an ephemeral port, what tests
 * want). Point the SDK at it with `new Stripe(key, { host, port, protocol: 'http' })`.
 */
export async function startStripeEmulator(
  options: StripeEmulatorOptions & { port?: number; host?: string },
): Promise<RunningStripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const { app, webhooks } = buildStripeEmulator(options);
  const server = await new Promise<ReturnType<express.Express['listen']>>((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps connections alive; idle ones would hold close() open until they time out.
        server.closeIdleConnections();
      });
      await webhooks.close();
    },
  };
}
