import { errors } from '@nats-io/transport-node';
import { JetStreamApiError, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { ensureStream, streamConfig } from '../src/bus/connection';
import { createTestLogger } from '../src/testing';

/**
 * ensureStream against a JetStream API that answers as a fresh three-node cluster does when several services
 * start at once: a create that outlasts the API's 5 s timeout, and "stream name already in use" for a create
 * racing another's. A scripted API, because a real cluster answers so only by chance of timing.
 */
const config = streamConfig({ stream: 'ORDERS_TEST', subjectPrefix: 'orders_test', replicas: 3 });
const quickRetry = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

const notFound = () => new JetStreamApiError({ code: 404, err_code: 10059, description: 'stream not found' });
const nameInUse = () =>
  new JetStreamApiError({
    code: 400,
    err_code: 10058,
    description: 'stream name already in use with a different configuration',
  });

/** A stream API whose answers are scripted: each call takes the next answer of its method (the last repeats). */
function scriptedStreams(script: { info: (() => unknown)[]; add?: (() => unknown)[]; update?: (() => unknown)[] }) {
  const calls: string[] = [];
  const answer = (method: keyof typeof script) => async () => {
    calls.push(method);
    const answers = script[method] ?? [];
    const next = answers.length > 1 ? answers.shift() : answers[0];
    if (!next) throw new Error(`unexpected ${method}`);
    return next();
  };
  const streams = { info: answer('info'), add: answer('add'), update: answer('update') };
  return { streams: streams as unknown as JetStreamManager['streams'], calls };
}

const stored =
  (overrides: Partial<typeof config> = {}) =>
  (): Partial<StreamInfo> => ({
    config: { ...config, ...overrides } as StreamInfo['config'],
  });
const timeout = () => {
  throw new errors.TimeoutError();
};
const fail = (error: () => Error) => () => {
  throw error();
};

describe('ensureStream on a cluster that is slow to answer', () => {
  it('when creating the stream times out, then it asks again with backoff and the stream is made', async () => {
    const { streams, calls } = scriptedStreams({ info: [fail(notFound)], add: [timeout, stored()] });

    await ensureStream(streams, config, createTestLogger(), quickRetry);

    expect(calls).toEqual(['info', 'add', 'info', 'add']);
  });

  it('when a create that timed out was made after all, then the next attempt finds the stream and brings it to this configuration', async () => {
    const { streams, calls } = scriptedStreams({
      info: [fail(notFound), stored()],
      add: [timeout],
      update: [stored()],
    });

    await ensureStream(streams, config, createTestLogger(), quickRetry);

    expect(calls).toEqual(['info', 'add', 'info', 'update']);
  });

  it('when another service made the stream a moment earlier (name already in use) with the same configuration, then that is success', async () => {
    const { streams, calls } = scriptedStreams({ info: [fail(notFound), stored()], add: [fail(nameInUse)] });

    await ensureStream(streams, config, createTestLogger(), quickRetry);

    expect(calls).toEqual(['info', 'add', 'info']);
  });

  it('when the name is in use by a stream of another configuration, then the stream is brought to this one', async () => {
    const { streams, calls } = scriptedStreams({
      info: [fail(notFound), stored({ num_replicas: 1 }), stored({ num_replicas: 1 })],
      add: [fail(nameInUse)],
      update: [stored()],
    });

    await ensureStream(streams, config, createTestLogger(), quickRetry);

    expect(calls).toEqual(['info', 'add', 'info', 'info', 'update']);
  });

  it('when the JetStream API keeps timing out, then it gives up after its attempts with the timeout', async () => {
    const { streams, calls } = scriptedStreams({ info: [timeout] });

    await expect(ensureStream(streams, config, createTestLogger(), quickRetry)).rejects.toBeInstanceOf(
      errors.TimeoutError,
    );

    expect(calls).toEqual(['info', 'info', 'info', 'info']);
  });

  it('when the API refuses the configuration, then that is not asked again', async () => {
    const refused = () =>
      new JetStreamApiError({ code: 400, err_code: 10052, description: 'replicas > 1 not supported' });
    const { streams, calls } = scriptedStreams({ info: [fail(notFound)], add: [fail(refused)] });

    await expect(ensureStream(streams, config, createTestLogger(), quickRetry)).rejects.toThrow(
      'replicas > 1 not supported',
    );

    expect(calls).toEqual(['info', 'add']);
  });
});
