import type { Logger } from 'pino';

const QUIET_LEVELS = new Set<PropertyKey>(['info', 'debug', 'trace']);
const noop = () => undefined;

/**
 * `parent.child(bindings)` at `warn` for a stretch of work whose `info` lines are left out of the log (an
 * event outside the sample), built only if a warning or an error is written, or something else of it is
 * asked for: its `info`, `debug` and `trace` write nothing, as pino's own at `warn` would. Building a child
 * (its bindings serialised, its level set) was 3 to 6 % of a listener's CPU, and almost every event writes
 * nothing above `info`.
 */
export function quietChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = () => (child ??= parent.child(bindings, { level: 'warn' }));
  return new Proxy(parent, {
    get(_target, property) {
      if (QUIET_LEVELS.has(property)) return noop;
      const logger = real();
      const value: unknown = Reflect.get(logger, property, logger);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(logger) : value;
    },
  });
}
