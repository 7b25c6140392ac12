const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields every line has, or that the prefix already says. */
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/**
 * Turns a service's JSON log line into one a person reads at a glance on `npm start`:
 * `16:14:49 info  request completed  req.method=POST res.statusCode=201 responseTime=12`.
 * Lines that are not pino JSON pass through unchanged. Services keep writing JSON (what production
 * log collectors want); only the launcher's view is reshaped.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry.level !== 'number' || typeof entry.msg !== 'string') return line;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = (LEVELS[entry.level] ?? String(entry.level)).padEnd(5);
  const details = flatten(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${value}`);
  const head = [time, level, entry.msg].filter(Boolean).join(' ');
  return details.length > 0 ? `${head}  ${details.join(' ')}` : head;
}

/** Nested objects become dotted keys; the error stack stays on its own lines below. */
function flatten(value: Record<string, unknown>, prefix = ''): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, inner] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (path === 'err.stack' && typeof inner === 'string') pairs.push([path, `\n${inner}`]);
    else if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      pairs.push(...flatten(inner as Record<string, unknown>, path));
    } else pairs.push([path, typeof inner === 'string' ? inner : JSON.stringify(inner)]);
  }
  return pairs;
}
