/**
 * Where each process's CPU went, from the V8 CPU profiles `npm run bench -- <scenario> --cpu-prof` has every
 * process write (`node --cpu-prof`): each sampled function's own time, summed by what it belongs to (the HTTP
 * framework, sessions and JWT, the rate limiter, logging, metrics, the pg protocol, JSON, zod, the bus…).
 *
 * Also a command of its own, for profiles kept from an earlier run:
 * `node bench/dist/suite/profile-report.js DIR [operations]` (per scenario when the run wrote its windows).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A part of a process's work, and how to know a sampled function belongs to it: first match wins. */
const CATEGORIES: readonly (readonly [string, (url: string, functionName: string) => boolean])[] = [
  ['garbage collection', (url, name) => name === '(garbage collector)'],
  [
    'HTTP framework (express, body parsing)',
    pkg(
      /express|router|body-parser|raw-body|finalhandler|send|serve-static|on-finished|qs|content-type|type-is|accepts|negotiator|mime-types|mime-db|iconv-lite|statuses|http-errors|depd|path-to-regexp|parseurl|encodeurl|etag|fresh|vary|cookie|merge-descriptors|range-parser|destroy|ee-first|unpipe|forwarded|proxy-addr|ipaddr\.js|debug|ms|setprototypeof|toidentifier|bytes|media-typer|content-disposition|safe-buffer|depd|utils-merge|cors|object-assign|helmet/,
    ),
  ],
  [
    'session and JWT',
    (url) =>
      /node_modules\/(cookie-session|cookies|keygrip|jsonwebtoken|jws|jwa|jose|buffer-equal-constant-time|ecdsa-sig-formatter|lodash\.\w+|semver)\//.test(
        url,
      ) || /\/common\/dist\/middleware\/(current-user|session-versions)/.test(url),
  ],
  [
    'rate limiter',
    (url) =>
      /node_modules\/rate-limiter-flexible\//.test(url) || /\/common\/dist\/middleware\/shared-rate-limits/.test(url),
  ],
  ['validation (express-validator, zod)', pkg(/express-validator|validator|zod|lodash/)],
  [
    'logging',
    (url) =>
      /node_modules\/(pino|pino-http|pino-std-serializers|sonic-boom|fast-redact|thread-stream|on-exit-leak-free|atomic-sleep|quick-format-unescaped|safe-stable-stringify|real-require|fast-safe-stringify)\//.test(
        url,
      ) || /\/common\/dist\/logging\//.test(url),
  ],
  [
    'metrics and tracing',
    (url) =>
      /node_modules\/(prom-client|@opentelemetry\/[^/]+|tdigest|bintrees)\//.test(url) ||
      /\/common\/dist\/observability\//.test(url),
  ],
  [
    'PostgreSQL (pg protocol, pool, drizzle)',
    pkg(
      /pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-array|postgres-bytea|postgres-date|postgres-interval|pgpass|split2|buffer-writer|packet-reader|drizzle-orm/,
    ),
  ],
  [
    'Redis (ioredis, BullMQ)',
    pkg(
      /ioredis|bullmq|@ioredis\/[^/]+|redis-errors|redis-parser|cluster-key-slot|denque|standard-as-callback|lodash\.defaults|lodash\.isarguments|msgpackr|cron-parser|luxon|uuid/,
    ),
  ],
  ['the bus (NATS)', (url) => /node_modules\/@nats-io\//.test(url) || /\/common\/dist\/(bus|outbox)\//.test(url)],
  ['JSON', (url, name) => url === '' && /^(stringify|parse|JSONSerialize|JSONStringify|SerializeJSONValue)/.test(name)],
  [
    'node: HTTP',
    (url) =>
      /^node:_http|^node:http|^node:internal\/http|^node:internal\/streams|^node:stream|^node:events|^node:internal\/deps\/undici/.test(
        url,
      ),
  ],
  [
    'node: sockets and timers',
    (url, name) =>
      /^node:net|^node:internal\/(net|stream_base|timers|dns|tls)|^node:timers/.test(url) ||
      name === 'writev' ||
      name === 'writeBuffer' ||
      name === 'writeUtf8String' ||
      name === 'close',
  ],
  ['node: crypto', (url) => /^node:crypto|^node:internal\/crypto/.test(url)],
  ['Next.js and React', pkg(/next|react|react-dom|scheduler|styled-jsx|@next\/[^/]+/)],
  [
    'node: other internals',
    (url, name) =>
      url.startsWith('node:') || (url === '' && name !== '(program)' && name !== '(idle)' && name !== '(root)'),
  ],
  ['common (our shared package)', (url) => /\/common\/dist\//.test(url)],
  [
    "the process's own code",
    (url) => /\/(auth|tickets|orders|expiration|payments|infra\/local|infra\/stripe-emulator)\/dist\//.test(url),
  ],
  ['other packages', (url) => /node_modules\//.test(url)],
  ['(program: V8 and native, not attributed)', (url, name) => name === '(program)'],
];

function pkg(names: RegExp): (url: string) => boolean {
  const pattern = new RegExp(`node_modules/(?:${names.source})/`);
  return (url) => pattern.test(url);
}

export interface ProcessProfile {
  process: string;
  /** Sampled time not idle, in ms. */
  busyMs: number;
  byCategory: { category: string; ms: number }[];
}

/**
 * Node's own functions (sockets, streams, timers, crypto) count for the nearest caller that is not Node's:
 * the pg driver's socket writes are PostgreSQL's cost, express's `res.json` is the framework's. Only what
 * no package or code of ours called (an incoming request being parsed) stays Node's.
 */
const NODE_OWN = /^node: |^\(program/;

/**
 * A stretch of time on the machine's monotonic clock in µs: V8 stamps samples with it, and
 * `process.hrtime.bigint() / 1000n` in any process reads the same clock, so one scenario's share of a
 * profile of the whole run can be cut out.
 */
export interface Window {
  startUs: number;
  endUs: number;
}

export function monotonicNowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function summarizeProfile(process: string, profile: CpuProfile, window?: Window): ProcessProfile {
  const own = new Map<number, string | undefined>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
    const { url, functionName } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(root)') continue;
    own.set(node.id, CATEGORIES.find(([, matches]) => matches(url, functionName))?.[0] ?? 'other');
  }
  const attributed = new Map<number, string | undefined>();
  const attribute = (id: number): string | undefined => {
    if (attributed.has(id)) return attributed.get(id);
    const mine = own.get(id);
    let answer = mine;
    if (mine !== undefined && NODE_OWN.test(mine)) {
      const up = parent.get(id);
      const caller = up === undefined ? undefined : attribute(up);
      if (caller !== undefined && !NODE_OWN.test(caller)) answer = caller;
    }
    attributed.set(id, answer);
    return answer;
  };
  const totals = new Map<string, number>();
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (window !== undefined && (at < window.startUs || at > window.endUs)) return;
    const name = attribute(nodeId);
    if (name === undefined) return;
    const us = profile.timeDeltas[index + 1] ?? 0;
    busyUs += us;
    totals.set(name, (totals.get(name) ?? 0) + us);
  });
  return {
    process,
    busyMs: busyUs / 1000,
    byCategory: [...totals].map(([name, us]) => ({ category: name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
  };
}

/** Every `*.cpuprofile` in `dir`, by process name (`orders-2.<ms>.cpuprofile` → `orders#2`). */
export function summarizeDirectory(dir: string, window?: Window): ProcessProfile[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => {
      const process = file.split('.')[0]!.replace(/-(\d+)$/, '#$1');
      const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
      return summarizeProfile(process, profile, window);
    })
    .sort((a, b) => b.busyMs - a.busyMs);
}

/** One markdown table a process: its busy time, then each part with 2 % of it or more. */
export function renderProfiles(profiles: readonly ProcessProfile[], perOperation?: number): string {
  const lines: string[] = [];
  for (const profile of profiles) {
    if (profile.busyMs < 50) continue;
    const per =
      perOperation === undefined ? '' : `, ${((profile.busyMs / perOperation) * 1000).toFixed(0)} µs an operation`;
    lines.push(`${profile.process}: ${(profile.busyMs / 1000).toFixed(2)} s busy${per}`);
    lines.push('', '| part | share | ms |', '|---|---:|---:|');
    let rest = 0;
    for (const { category, ms } of profile.byCategory) {
      if (ms / profile.busyMs < 0.02) rest += ms;
      else lines.push(`| ${category} | ${((ms / profile.busyMs) * 100).toFixed(0)} % | ${ms.toFixed(0)} |`);
    }
    if (rest > 0)
      lines.push(
        `| the rest (under 2 % each) | ${((rest / profile.busyMs) * 100).toFixed(0)} % | ${rest.toFixed(0)} |`,
      );
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * One markdown table for a scenario: a column a process (the busiest `columns`), a row a part, each cell the
 * part's share of that process's busy time; parts under 2 % everywhere are summed in the last row.
 */
export function renderProfileMatrix(profiles: readonly ProcessProfile[], columns = 5): string {
  const shown = profiles.filter((profile) => profile.busyMs >= 50).slice(0, columns);
  if (shown.length === 0) return '(no process was busy)';
  const share = (profile: ProcessProfile, category: string) =>
    (profile.byCategory.find((entry) => entry.category === category)?.ms ?? 0) / profile.busyMs;
  const categories = [...new Set(shown.flatMap((profile) => profile.byCategory.map((entry) => entry.category)))];
  const totalMs = (category: string) =>
    shown.reduce((sum, profile) => sum + share(profile, category) * profile.busyMs, 0);
  const rows = categories
    .filter((category) => shown.some((profile) => share(profile, category) >= 0.02))
    // Most time across the processes shown first.
    .sort((a, b) => totalMs(b) - totalMs(a));
  const percent = (value: number) => `${Math.round(value * 100)} %`;
  const lines = [
    `| part | ${shown.map((profile) => `${profile.process} (${(profile.busyMs / 1000).toFixed(1)} s)`).join(' | ')} |`,
    `|---|${shown.map(() => '---:').join('|')}|`,
    ...rows.map(
      (category) => `| ${category} | ${shown.map((profile) => percent(share(profile, category))).join(' | ')} |`,
    ),
    `| the rest | ${shown
      .map((profile) => percent(1 - rows.reduce((sum, category) => sum + share(profile, category), 0)))
      .join(' | ')} |`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: node bench/dist/suite/profile-report.js DIR [operations]\n');
    process.exit(2);
  }
  const operations = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  // The windows bench.ts wrote beside the profiles, one a scenario; else the whole run.
  const windowsFile = path.join(dir, 'windows.json');
  const windows: Record<string, Window> = fs.existsSync(windowsFile)
    ? (JSON.parse(fs.readFileSync(windowsFile, 'utf8')) as Record<string, Window>)
    : { 'the whole run': { startUs: 0, endUs: Number.MAX_SAFE_INTEGER } };
  for (const [scenario, window] of Object.entries(windows)) {
    const profiles = summarizeDirectory(dir, window);
    process.stdout.write(
      `## ${scenario}\n\n${renderProfileMatrix(profiles)}\n\n${renderProfiles(profiles, operations)}\n`,
    );
  }
}
