import type { Logger } from 'pino';

export interface PeriodicTask {
  /** Stops scheduling; resolves once a run in progress (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`, never two runs at once (the next is scheduled after the previous one
 * settles). A failing run is logged and the schedule goes on: the next run tries again.
 */
export function runPeriodically(
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
  logger: Logger,
): PeriodicTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = task()
        .then(
          () => undefined,
          (error: unknown) => logger.error({ err: error, task: name }, `${name} failed; trying again next time`),
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
