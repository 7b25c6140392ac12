/**
 * What a run prints: the schedule at the start (so that a run can be replayed from its seed), and at the
 * end what happened (faults as done, services that died by themselves, how the flows ended, what users were
 * answered), whether the system went quiet, and the table of invariants with the ids of every violation.
 */
import { describeFault, type Fault, type FaultRecord } from './faults';
import type { FlowKind, FlowPlan, FlowResult } from './flows';
import type { HttpTally } from './http-client';
import { formatElapsed, type InvariantResult } from './invariants';
import type { QuietOutcome } from './quiet';
import type { UnexpectedExit } from './supervisor';

/** Violations shown per invariant on the terminal; the log file has them all. */
const SHOWN_PER_INVARIANT = 10;
const TABLE_WIDTH = 84;

export interface RunSettings {
  seed: number;
  minutes: number;
  flows: number;
  concurrency: number;
}

/** The header: the settings, the command that replays them, the fault schedule and the mix of flows. */
export function formatPlan(settings: RunSettings, schedule: readonly Fault[], flows: readonly FlowPlan[]): string {
  const lines = [
    rule('Chaos run'),
    `seed ${settings.seed}, ${settings.minutes} min of faults and flows, ${settings.flows} flows (at most ` +
      `${settings.concurrency} at once)`,
    `replay: npm run chaos -- --seed ${settings.seed} --minutes ${settings.minutes} --flows ${settings.flows}`,
    '',
    'Fault schedule (from the start of the flows):',
    ...schedule.map((fault) => `  ${formatElapsed(fault.atMs).padStart(6)}  ${describeFault(fault)}`),
    '',
    `Flows: ${formatCounts(countBy(flows, (plan) => plan.kind))}`,
    rule(),
  ];
  return lines.join('\n');
}

export interface RunSummary {
  startedAt: number;
  faults: readonly FaultRecord[];
  unexpectedExits: readonly UnexpectedExit[];
  flows: readonly FlowResult[];
  flowsNotStarted: number;
  tally: HttpTally;
  quiet: QuietOutcome;
  invariants: readonly InvariantResult[];
}

/** The end of the run: everything but the invariants' full lists, which {@link formatViolations} gives. */
export function formatReport(summary: RunSummary, shownPerInvariant: number = SHOWN_PER_INVARIANT): string {
  const at = (time: number | undefined): string =>
    time === undefined ? '    –' : formatElapsed(time - summary.startedAt).padStart(6);
  const lines = [rule('Faults as done')];
  for (const record of summary.faults) {
    const when = record.startedAt === undefined ? 'not reached' : `${at(record.startedAt)} → ${at(record.endedAt)}`;
    lines.push(`  ${when.padEnd(17)} ${describeFault(record.fault)}${record.error ? `: FAILED ${record.error}` : ''}`);
  }
  lines.push('', 'Services that exited by themselves (restarted by the harness):');
  if (summary.unexpectedExits.length === 0) lines.push('  none');
  for (const exit of summary.unexpectedExits) lines.push(`  ${at(exit.at)}  ${exit.service} (${exit.exit})`);

  lines.push('', `Flows: ${summary.flows.length} ran, ${summary.flowsNotStarted} not started before the end`);
  const byKind = groupBy(summary.flows, (result) => result.plan.kind);
  for (const [kind, results] of byKind) {
    lines.push(`  ${kind} (${results.length})`);
    const outcomes = [...countBy(results, (result) => result.outcome)].sort((a, b) => b[1] - a[1]);
    for (const [outcome, count] of outcomes) lines.push(`    ${String(count).padStart(4)}  ${outcome}`);
  }
  const unexpected = summary.flows.filter((result) => result.unexpected);
  if (unexpected.length > 0) {
    lines.push('', `Unexpected answers (${unexpected.length} flows):`);
    for (const result of unexpected.slice(0, shownPerInvariant)) {
      lines.push(`  flow ${result.plan.index} (${result.plan.kind}): ${firstLine(result.detail)}`);
    }
  }
  lines.push('', `HTTP: ${summary.tally.requests} requests; answers other than 2xx/3xx:`);
  const failures = summary.tally.failures();
  if (failures.length === 0) lines.push('  none');
  for (const [answer, count] of failures.slice(0, 15)) lines.push(`  ${String(count).padStart(6)}  ${answer}`);

  lines.push(
    '',
    summary.quiet.quiet
      ? `Quiet after ${Math.round(summary.quiet.waitedMs / 1000)} s.`
      : `NOT quiet after ${Math.round(summary.quiet.waitedMs / 1000)} s: ${summary.quiet.lastActivity}`,
    '',
    formatInvariantTable(summary.invariants),
    formatViolations(summary.invariants, shownPerInvariant),
  );
  return lines.join('\n');
}

/** The table the README quotes: one row per invariant, its violation count, and a total. */
export function formatInvariantTable(invariants: readonly InvariantResult[]): string {
  const total = invariants.reduce((sum, invariant) => sum + invariant.violations.length, 0);
  const labels = invariants.map((invariant) => `${invariant.number}. ${invariant.title}`);
  const labelWidth = Math.max(...labels.map((label) => label.length), TABLE_WIDTH - 12);
  const row = (label: string, count: string): string => `${label.padEnd(labelWidth)}${count.padStart(12)}`;
  return [
    rule('Invariants'),
    row('', 'violations'),
    ...invariants.map((invariant, index) => row(labels[index] ?? '', String(invariant.violations.length))),
    row('total', String(total)),
    rule(),
  ].join('\n');
}

/** Each violated invariant's lines (at most `limit` each), with the note on how it was checked. */
export function formatViolations(invariants: readonly InvariantResult[], limit = Infinity): string {
  const lines: string[] = [];
  for (const invariant of invariants) {
    if (invariant.note !== undefined) lines.push(`${invariant.number}. (${invariant.note})`);
    for (const violation of invariant.violations.slice(0, limit)) lines.push(`${invariant.number}. ${violation}`);
    const hidden = invariant.violations.length - limit;
    if (hidden > 0) lines.push(`${invariant.number}. … and ${hidden} more (all of them in the log file)`);
  }
  return lines.join('\n');
}

function rule(title?: string): string {
  return title === undefined ? '─'.repeat(TABLE_WIDTH) : `── ${title} ${'─'.repeat(TABLE_WIDTH - title.length - 4)}`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function groupBy<T>(items: readonly T[], key: (item: T) => FlowKind): Map<FlowKind, T[]> {
  const groups = new Map<FlowKind, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** `paid ×12, declined ×3`, most frequent first. */
function formatCounts(counts: Map<string, number>): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) => `${label} ×${count}`)
    .join(', ');
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? '';
}
