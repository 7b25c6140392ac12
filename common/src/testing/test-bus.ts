import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { jetstream } from '@nats-io/jetstream';
import { EventBus, type AnyEnvelope, type DeadLetter, type RetryPolicy, type RunningListener } from '../bus';
import type { Subject } from '../events';

/** A logger for tests: silent unless TEST_LOG_LEVEL asks for lines. */
export function createTestLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** A logger at `level` whose lines are kept, parsed, in `lines`, for tests of what is logged. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

export function natsUrl(): string {
  return process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
}

export interface TestBus extends EventBus {
  /** Stops listeners, deletes this test's stream and closes the connection. */
  destroy(): Promise<void>;
}

/**
 * An EventBus on the real NATS server under a stream and subject prefix of its own, so test files
 * (and test runs) never see each other's events.
 */
export async function createTestBus(
  options: { prefix?: string; logger?: Logger; connectionName?: string; retry?: Partial<RetryPolicy> } = {},
): Promise<TestBus> {
  const prefix = options.prefix ?? `test_${randomBytes(5).toString('hex')}`;
  const bus = await EventBus.connect({
    servers: natsUrl(),
    stream: prefix.toUpperCase(),
    subjectPrefix: prefix,
    connectionName: options.connectionName ?? `test-${prefix}`,
    logger: options.logger ?? createTestLogger(),
    connectTimeoutMs: 5_000,
    retry: options.retry,
  });
  return Object.assign(bus, {
    async destroy() {
      const manager = bus.manager;
      await manager.streams.delete(bus.options.stream).catch(() => undefined);
      await bus.close();
    },
  });
}

/** Records every event of `subject` that reaches the stream, for asserting what a service published. */
export async function recordEvents<S extends Subject>(
  bus: EventBus,
  subject: S,
): Promise<{ events: AnyEnvelope<S>[]; stop(): Promise<void> }> {
  const events: AnyEnvelope<S>[] = [];
  const listener: RunningListener = await bus.listen({
    subject,
    durable: `recorder-${subject.replace('.', '-')}-${randomBytes(4).toString('hex')}`,
    async handle(event) {
      events.push(event);
    },
  });
  return {
    events,
    async stop() {
      await listener.stop();
      await bus.manager.consumers.delete(bus.options.stream, listener.durable).catch(() => undefined);
    },
  };
}

/**
 * Collects what reaches one listener's dead-letter subject from now on (a core NATS subscription; the
 * copies also stay in the stream).
 */
export function collectDeadLetters(bus: EventBus, durable: string): { received: DeadLetter[]; stop(): void } {
  const received: DeadLetter[] = [];
  const subscription = bus.connection.subscribe(bus.deadLetterSubject(durable), {
    callback: (_error, message) => {
      received.push(message.json<DeadLetter>());
    },
  });
  return { received, stop: () => subscription.unsubscribe() };
}

/** Publishes bytes as they are on a catalog subject, bypassing the catalog's checks: a malformed event. */
export async function publishRaw(bus: EventBus, subject: Subject, raw: string): Promise<void> {
  await jetstream(bus.connection).publish(bus.wireSubject(subject), raw);
}

/** The Redis tests use: REDIS_URL, else the machine's own. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}
