/**
 * What Kubernetes does for a pod, done for the stack's processes: a service that dies (killed by a fault,
 * or crashing by itself) is started again, and again if the start fails (its database may still refuse
 * connections), until it is up, unless a fault holds it down on purpose.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { RunningStack, ServiceName } from '@ticketing/local-stack';

import type { AvailabilityLog } from './availability';

/** A service exit nobody asked for: a finding for the report, not a fault of the schedule. */
export interface UnexpectedExit {
  service: ServiceName;
  exit: string;
  at: number;
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 10_000;

export class Supervisor {
  readonly unexpectedExits: UnexpectedExit[] = [];
  private readonly heldDown = new Set<ServiceName>();
  private readonly restarts = new Map<ServiceName, Promise<void>>();
  private stack: RunningStack | undefined;
  private closed = false;

  constructor(
    private readonly availability: AvailabilityLog,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts watching `stack` (startStack needs the exit callback before the stack exists). */
  attach(stack: RunningStack): void {
    this.stack = stack;
  }

  /** For startStack's `onUnexpectedExit`: note it and start the service again. */
  readonly onUnexpectedExit = (service: ServiceName, exit: string): void => {
    if (this.closed) return;
    this.unexpectedExits.push({ service, exit, at: Date.now() });
    this.availability.markDown(service);
    if (!this.heldDown.has(service)) void this.keepRunning(service);
  };

  /** SIGKILLs a service and keeps it down until {@link Supervisor.release}. */
  async kill(service: ServiceName): Promise<void> {
    this.heldDown.add(service);
    this.availability.markDown(service);
    await this.requireStack().killService(service);
  }

  /** Lets a service held down come back; resolves once it is up (or the supervisor is closed). */
  release(service: ServiceName): Promise<void> {
    this.heldDown.delete(service);
    return this.keepRunning(service);
  }

  /**
   * Releases every service held down and resolves once every service is up again, or after `timeoutMs`
   * with the services still down (they keep being restarted meanwhile), so that a service that can never
   * start does not hang the run.
   */
  async releaseAll(timeoutMs: number): Promise<ServiceName[]> {
    const everyoneUp = Promise.all([
      ...[...this.heldDown].map((service) => this.release(service)),
      ...this.restarts.values(),
    ]);
    await Promise.race([everyoneUp, sleep(timeoutMs, undefined, { ref: false })]);
    return [...this.restarts.keys()];
  }

  /** Stops restarting anything: the stack is being stopped. */
  close(): void {
    this.closed = true;
  }

  private keepRunning(service: ServiceName): Promise<void> {
    const running = this.restarts.get(service);
    if (running !== undefined) return running;
    const restart = this.restartUntilUp(service).finally(() => this.restarts.delete(service));
    this.restarts.set(service, restart);
    return restart;
  }

  private async restartUntilUp(service: ServiceName): Promise<void> {
    const stack = this.requireStack();
    let pauseMs = FIRST_RETRY_MS;
    while (!this.closed && !this.heldDown.has(service)) {
      if (stack.processIdOf(service) !== undefined) break;
      try {
        await stack.startService(service);
        break;
      } catch (error) {
        if (this.closed || this.heldDown.has(service)) return;
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        this.log(`${service} did not come back (${reason}); trying again in ${pauseMs / 1000} s`);
        await sleep(pauseMs);
        pauseMs = Math.min(LONGEST_RETRY_MS, pauseMs * 2);
      }
    }
    if (stack.processIdOf(service) !== undefined) this.availability.markUp(service);
  }

  private requireStack(): RunningStack {
    if (this.stack === undefined) throw new Error('the supervisor has no stack yet');
    return this.stack;
  }
}
