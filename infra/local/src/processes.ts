import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** How long a process gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 10_000;

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True once the child has exited or was killed by a signal. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (at once if it already has). */
export function waitForExit(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `code 1` or `signal SIGKILL`, for messages about a child that stopped. */
export function describeExit(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `code ${String(child.exitCode)}`;
}

/**
 * Sends SIGTERM, waits up to `graceMs` for the child to exit, then SIGKILLs it. Safe to call on a child
 * that already exited.
 */
export async function stopChildProcess(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (hasExited(child)) return;
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([exited.then(() => 'exited' as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

const killOnExit = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Children are spawned detached (their own process group) so that Ctrl-C reaches only the launcher, which
 * then stops them in order. The price is that they would outlive a launcher that dies unexpectedly; this
 * hook sends them SIGTERM from the `exit` event, which still runs after an uncaught exception.
 */
export function terminateOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const running of killOnExit) running.kill('SIGTERM');
    });
  }
  killOnExit.add(child);
  child.once('exit', () => killOnExit.delete(child));
}

/** What a finished command printed (stdout and stderr interleaved) and how it ended. */
export interface CommandResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion, collecting its output; never rejects for a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      // Keep the tail only: apt-get can print a lot, and only the last lines explain a failure.
      output = (output + chunk.toString('utf8')).slice(-64_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The last non-empty line of some output, for one-line error messages. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines[lines.length - 1] ?? '';
}

/**
 * Starts a server binary in its own process group (Ctrl-C reaches only the launcher, which stops it in
 * order) with its output appended to `logFile`, stopped with us if we die first.
 */
export function spawnServer(
  binary: string,
  args: readonly string[],
  logFile: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): ChildProcess {
  const logFd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
    // A spawn failure (ENOENT, EACCES) shows as an exit to whoever waits for the server; this keeps it from crashing us.
    child.on('error', () => undefined);
    terminateOnExit(child);
    return child;
  } finally {
    fs.closeSync(logFd);
  }
}
