/**
 * What one operation costs the stack in CPU: every process's CPU seconds (services, the web app, the Stripe
 * emulator and the edge; not the bench's own client) from the start of the measured work until the stack
 * is quiet again (the events it set off handled, wherever they ran), less what each process burns idle over
 * the same time (probes, pollers, the relay's beat), divided by the operations.
 */
import * as fs from 'node:fs';

/** CPU seconds a second, per process, with nothing asked of the stack. */
export type IdleRates = Record<string, number>;

export interface CpuPerOperation {
  /** ms of CPU per operation, all processes together. */
  totalMs: number;
  /** ms of CPU per operation, per process, largest first (those under 0.005 ms left out). */
  byProcess: [string, number][];
  /** ms of CPU per operation of the servers the stack uses (PostgreSQL, NATS, Redis), less their idle rates. */
  infrastructure: [string, number][];
  /** From the start of the work until the stack was quiet. */
  windowMs: number;
}

/** Each process's CPU time so far in seconds (user + system, from /proc), to see where a scenario's work went. */
export function cpuSeconds(processes: Record<string, number | undefined>): Record<string, number> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const seconds: Record<string, number> = {};
  for (const [name, pid] of Object.entries(processes)) {
    if (pid === undefined) continue;
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      seconds[name] = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    } catch {
      // The process is gone (restarted): nothing to count.
    }
  }
  return seconds;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The servers the stack talks to, by their command name in /proc: what an operation costs beyond our processes. */
const INFRASTRUCTURE = ['postgres', 'nats-server', 'redis-server'] as const;

/**
 * The CPU seconds so far of every process of each infrastructure server on this machine (PostgreSQL's
 * postmaster and backends, NATS, Redis), summed per server. A PostgreSQL backend that ends within a
 * window takes its seconds with it: the figure is then an underestimate (the stack's pools keep theirs).
 */
export function infrastructureCpuSeconds(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const server = INFRASTRUCTURE.find((name) => comm === name || comm.startsWith(`${name}:`));
    if (server === undefined) continue;
    const seconds = cpuSeconds({ [server]: Number(entry) })[server];
    if (seconds !== undefined) totals[server] = (totals[server] ?? 0) + seconds;
  }
  return totals;
}

/** Each process's (and infrastructure server's) CPU seconds a second over `ms` of asking nothing of the stack. */
export async function measureIdleRates(processes: Record<string, number | undefined>, ms = 4_000): Promise<IdleRates> {
  const before = { ...cpuSeconds(processes), ...infrastructureCpuSeconds() };
  const startedAt = performance.now();
  await sleep(ms);
  const after = { ...cpuSeconds(processes), ...infrastructureCpuSeconds() };
  const seconds = (performance.now() - startedAt) / 1000;
  return Object.fromEntries(
    Object.entries(after).map(([name, value]) => [name, Math.max(0, value - (before[name] ?? value)) / seconds]),
  );
}

/** How often the stack's CPU is read while waiting for it to be quiet, and the longest wait. */
const QUIET_SAMPLE_MS = 500;
const QUIET_CAP_MS = 20_000;
/** Quiet: the stack's CPU over the last sample within this much of its idle rate (CPU seconds a second). */
const QUIET_MARGIN = 0.1;

/**
 * Runs `work` and measures what its `operations` cost the processes, until the stack is quiet again (at most
 * 20 s after the work), less their idle rates.
 */
export async function measureCpuPerOperation<T>(
  processes: Record<string, number | undefined>,
  idle: IdleRates,
  operations: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: CpuPerOperation }> {
  const before = cpuSeconds(processes);
  const infrastructureBefore = infrastructureCpuSeconds();
  const startedAt = performance.now();
  const result = await work();
  const idleTotal = Object.values(idle).reduce((sum, rate) => sum + rate, 0);
  const total = (seconds: Record<string, number>) => Object.values(seconds).reduce((sum, value) => sum + value, 0);
  const quietBy = performance.now() + QUIET_CAP_MS;
  let last = cpuSeconds(processes);
  while (performance.now() < quietBy) {
    await sleep(QUIET_SAMPLE_MS);
    const now = cpuSeconds(processes);
    const rate = (total(now) - total(last)) / (QUIET_SAMPLE_MS / 1000);
    last = now;
    if (rate <= idleTotal + QUIET_MARGIN) break;
  }
  const windowMs = performance.now() - startedAt;
  const perOperation = (after: Record<string, number>, start: Record<string, number>) =>
    Object.entries(after)
      .map(([name, seconds]): [string, number] => {
        const spent = seconds - (start[name] ?? seconds) - (idle[name] ?? 0) * (windowMs / 1000);
        return [name, (Math.max(0, spent) * 1000) / operations];
      })
      .filter(([, ms]) => ms >= 0.005)
      .sort((a, b) => b[1] - a[1]);
  const byProcess = perOperation(last, before);
  const infrastructure = perOperation(infrastructureCpuSeconds(), infrastructureBefore);
  return {
    result,
    cpu: { totalMs: byProcess.reduce((sum, [, ms]) => sum + ms, 0), byProcess, infrastructure, windowMs },
  };
}

/** `orders 0.64, tickets 0.33, …` */
export function describeByProcess(byProcess: readonly [string, number][]): string {
  return byProcess.map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ');
}
