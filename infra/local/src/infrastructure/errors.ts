import { lastLine, type CommandResult } from '../processes';

/** An expected failure with a message fit to print as is (no stack trace needed). */
export class InfrastructureError extends Error {
  override readonly name: string = 'InfrastructureError';
}

/** Throws an {@link InfrastructureError} quoting the last line a failed command printed. */
export function assertSucceeded(result: CommandResult, what: string): void {
  if (result.code !== 0) {
    throw new InfrastructureError(`${what} failed (exit code ${String(result.code)}): ${lastLine(result.output)}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
