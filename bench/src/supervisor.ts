/**
 * What Kubernetes does for a pod, done for the stack's processes: a process that dies (killed by a fault,
 * or crashing by itself) is started again, and again if the start fails (its database may still refuse
 * connections), until it is up, unless a fault holds it down on purpose. With replicas, each process of a
 * service (`orders#2`) is watched on its own. The stack runs with `restart: false`: this is the one owner of
 * restarts (chaos-stack.ts says why).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { RunningStack, ServiceName } from '@ticketing/local-stack';

import type { AvailabilityLog } from './availability';

/** A process exit nobody asked for: a finding for the report, not a fault of the schedule. */
export interface UnexpectedExit {
  service: ServiceName;
  /** The process: `orders`, or `orders#2` with replicas. */
  instance: string;
  exit: string;
  at: number;
}

/** One process of a service: its service and replica number (from 1). */
interface Process {
  service: ServiceName;
  replica: number;
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 10_000;

export class Supervisor {
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** Processes a fault holds down, by name (`orders#2`). */
  private readonly heldDown = new Map<string, Process>();
  private readonly restarts = new Map<string, Promise<void>>();
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

  /** For startStack's `onUnexpectedExit`: note it and start the process again. */
  readonly onUnexpectedExit = (service: ServiceName, exit: string, instance: string): void => {
    if (this.closed) return;
    this.unexpectedExits.push({ service, instance, exit, at: Date.now() });
    const process = this.processNamed(service, instance);
    this.noteDown(process);
    if (!this.heldDown.has(instance)) void this.keepRunning(process);
  };

  /**
   * SIGKILLs a service's process (`replica`, or the only one) and keeps it down until {@link Supervisor.release}.
   * Returns the process's name (`orders#2`).
   */
  async kill(service: ServiceName, replica = 1): Promise<string> {
    const process = { service, replica };
    const name = this.nameOf(process);
    this.heldDown.set(name, process);
    this.noteDown(process);
    await this.requireStack().killService(service, replica);
    return name;
  }

  /** Lets a process held down come back; resolves once it is up (or the supervisor is closed). */
  release(service: ServiceName, replica = 1): Promise<void> {
    const process = { service, replica };
    this.heldDown.delete(this.nameOf(process));
    return this.keepRunning(process);
  }

  /**
   * Releases every process held down and resolves once every one is up again, or after `timeoutMs` with
   * the processes still down (they keep being restarted meanwhile), so that a service that can never start
   * does not hang the run.
   */
  async releaseAll(timeoutMs: number): Promise<string[]> {
    const everyoneUp = Promise.all([
      ...[...this.heldDown.values()].map(({ service, replica }) => this.release(service, replica)),
      ...this.restarts.values(),
    ]);
    await Promise.race([everyoneUp, sleep(timeoutMs, undefined, { ref: false })]);
    return [...this.restarts.keys()];
  }

  /** Stops restarting anything: the stack is being stopped. */
  close(): void {
    this.closed = true;
  }

  private keepRunning(process: Process): Promise<void> {
    const name = this.nameOf(process);
    const running = this.restarts.get(name);
    if (running !== undefined) return running;
    const restart = this.restartUntilUp(process, name).finally(() => this.restarts.delete(name));
    this.restarts.set(name, restart);
    return restart;
  }

  private async restartUntilUp(process: Process, name: string): Promise<void> {
    const stack = this.requireStack();
    const { service, replica } = process;
    let pauseMs = FIRST_RETRY_MS;
    while (!this.closed && !this.heldDown.has(name)) {
      if (stack.processIdOf(service, replica) !== undefined) break;
      try {
        await stack.startService(service, replica);
        break;
      } catch (error) {
        if (this.closed || this.heldDown.has(name)) return;
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        this.log(`${name} did not come back (${reason}); trying again in ${pauseMs / 1000} s`);
        await sleep(pauseMs);
        pauseMs = Math.min(LONGEST_RETRY_MS, pauseMs * 2);
      }
    }
    if (stack.processIdOf(service, replica) !== undefined) this.noteUp(process);
  }

  /**
   * The availability log knows processes by name (`orders#2`) and a service (`orders`) as down only while
   * every one of its processes is: with one replica left, the service still acts (its jobs, its listeners).
   */
  private noteDown(process: Process): void {
    const name = this.nameOf(process);
    this.availability.markDown(name);
    const stack = this.stack;
    const othersUp = (stack?.instancesOf(process.service) ?? []).some(
      (instance) => instance.replica !== process.replica && instance.pid !== undefined,
    );
    if (!othersUp) this.availability.markDown(process.service);
  }

  private noteUp(process: Process): void {
    this.availability.markUp(this.nameOf(process));
    this.availability.markUp(process.service);
  }

  private nameOf({ service, replica }: Process): string {
    return this.stack?.instancesOf(service).find((instance) => instance.replica === replica)?.name ?? service;
  }

  private processNamed(service: ServiceName, instance: string): Process {
    const replica = this.stack?.instancesOf(service).find((candidate) => candidate.name === instance)?.replica;
    return { service, replica: replica ?? 1 };
  }

  private requireStack(): RunningStack {
    if (this.stack === undefined) throw new Error('the supervisor has no stack yet');
    return this.stack;
  }
}
