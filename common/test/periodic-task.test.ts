import { runPeriodically, type Logger } from '../src';
import { createTestLogger, waitFor } from '../src/testing';

describe('runPeriodically', () => {
  it('when a run fails, then it is logged and the next run tries again', async () => {
    const logged: unknown[] = [];
    const logger = { error: (...args: unknown[]) => logged.push(args) } as unknown as Logger;
    let runs = 0;
    const task = runPeriodically(
      'flaky task',
      10,
      async () => {
        runs += 1;
        if (runs === 1) throw new Error('database unreachable');
      },
      logger,
    );
    try {
      await waitFor(() => expect(runs).toBeGreaterThanOrEqual(3));
      expect(logged).toEqual([
        [
          expect.objectContaining({ err: expect.objectContaining({ message: 'database unreachable' }) }),
          expect.any(String),
        ],
      ]);
    } finally {
      await task.stop();
    }
  });

  it('when stopped during a run, then stop waits for that run and no run starts afterwards', async () => {
    let runs = 0;
    let finished = 0;
    let release: () => void = () => undefined;
    const task = runPeriodically(
      'slow task',
      10,
      async () => {
        runs += 1;
        await new Promise<void>((resolve) => (release = resolve));
        finished += 1;
      },
      createTestLogger(),
    );
    await waitFor(() => expect(runs).toBe(1));
    const stopped = task.stop();
    release();
    await stopped;
    expect(finished).toBe(1);
    // Ten intervals: a run that escaped the stop would have started by now.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(1);
  });
});
