/**
 * Retries `check` until it stops throwing (or returns a value other than `false`), then resolves to its
 * result; rejects with the last error after `timeoutMs`. For "wait until this event's effect is visible".
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error('condition was false');
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== false) return result as Exclude<T, false>;
      lastError = new Error('condition was false');
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw lastError instanceof Error
    ? Object.assign(lastError, { message: `waitFor timed out after ${timeoutMs} ms: ${lastError.message}` })
    : lastError;
}
