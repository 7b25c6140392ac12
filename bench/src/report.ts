/**
 * What a run prints: the schedule at the start (so that a run can be replayed from its seed), and at the
 * end what happened (faults as done, services that died by themselves, how the flows ended, what users were
 * answered), whether the system went quiet, and the table of invariants with the ids of every violation.
 */
import { SERVICES, type ServiceName } from '@ticketing/local-stack';

import type { AckedEventsCheck } from './acked-events';
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
  replicas: number;
  natsNodes: number;
}

/** After the end of a fault, 502s are still put down to it for this long (the edge's readiness poll, a start). */
const FAULT_TAIL_MS = 15_000;

/** The header: the settings, the command that replays them, the fault schedule and the mix of flows. */
export function formatPlan(settings: RunSettings, schedule: readonly Fault[], flows: readonly FlowPlan[]): string {
  const topology =
    (settings.replicas > 1 ? ` --replicas ${settings.replicas}` : '') +
    (settings.natsNodes > 1 ? ` --nats-nodes ${settings.natsNodes}` : '');
  const lines = [
    rule('Chaos run'),
    `seed ${settings.seed}, ${settings.minutes} min of faults and flows, ${settings.flows} flows (at most ` +
      `${settings.concurrency} at once); ${settings.replicas} process${settings.replicas > 1 ? 'es' : ''} of ` +
      `every service, ${settings.natsNodes === 1 ? 'one NATS server' : `a ${settings.natsNodes}-node NATS cluster`}`,
    `replay: npm run chaos -- --seed ${settings.seed} --minutes ${settings.minutes} --flows ${settings.flows}${topology}`,
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
  /** Undefined when the stream could not be read at the end (the report says so, and the run fails). */
  ackedEvents: AckedEventsCheck | undefined;
  /** With replicas a 502 fails the run: a dead process has another beside it. */
  replicas: number;
}

/** What the run is judged on: the invariants, 502s (with replicas), and acknowledged events kept. */
export interface GoalsVerdict {
  invariantViolations: number;
  badGateways: number;
  /** Whether the 502s count against the run (replicas ≥ 2). */
  badGatewaysFail: boolean;
  lostEvents: number;
  passed: boolean;
}

export function judgeGoals(summary: RunSummary): GoalsVerdict {
  const invariantViolations = summary.invariants.reduce((sum, invariant) => sum + invariant.violations.length, 0);
  const badGateways = summary.tally.badGateways.length;
  const badGatewaysFail = summary.replicas > 1;
  const lostEvents = summary.ackedEvents === undefined ? 1 : summary.ackedEvents.lost.length;
  return {
    invariantViolations,
    badGateways,
    badGatewaysFail,
    lostEvents,
    passed: invariantViolations === 0 && lostEvents === 0 && (!badGatewaysFail || badGateways === 0),
  };
}

/**
 * The goals' table: every invariant held, the 502s (goal 0 with replicas; with one process a kill leaves the
 * edge nothing to send to, and they are counted, not judged), each put down to the fault in progress, and
 * every acknowledged event in the stream.
 */
export function formatGoals(summary: RunSummary): string {
  const verdict = judgeGoals(summary);
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
  const lines = [rule('Goals')];
  lines.push(
    `invariants: ${verdict.invariantViolations} violations (goal 0): ${met(verdict.invariantViolations === 0)}`,
  );
  lines.push(
    `502s: ${verdict.badGateways}` +
      (verdict.badGatewaysFail
        ? ` (goal 0: the edge routes around a dead replica): ${met(verdict.badGateways === 0)}`
        : ' (one process per service: a kill leaves the edge nothing to send to; counted, not judged)'),
  );
  for (const [cause, count] of badGatewayCauses(summary)) lines.push(`  ${String(count).padStart(6)}  ${cause}`);
  const acked = summary.ackedEvents;
  if (acked === undefined) {
    lines.push('acked events lost: the stream could not be read at the end: NOT MET');
  } else {
    lines.push(
      `acked events lost: ${acked.lost.length} (goal 0): ${met(acked.lost.length === 0)}; ` +
        `${acked.sentByOutboxes} events the outboxes marked sent, ${acked.readFromStream} messages read back, ` +
        `stream sequences ${acked.state.firstSequence}–${acked.state.lastSequence}`,
    );
    for (const record of summary.faults) {
      const { lastSequenceBefore: before, lastSequenceAfter: after } = record.stream ?? {};
      if (record.stream === undefined) continue;
      lines.push(`  last sequence ${before ?? '?'} before, ${after ?? '?'} after: ${describeFault(record.fault)}`);
    }
    for (const line of acked.lost) lines.push(`  ${line}`);
  }
  lines.push(rule());
  return lines.join('\n');
}

/**
 * `502 POST /api/orders during "SIGKILL orders#2 …"`: each 502 put down to the fault then in progress, one of
 * the route's own service first (a kill, then its database) when several were.
 */
function badGatewayCauses(summary: RunSummary): [string, number][] {
  const counts = new Map<string, number>();
  for (const { at, route } of summary.tally.badGateways) {
    const inProgress = summary.faults.filter(
      (record) =>
        record.startedAt !== undefined && record.startedAt <= at && at <= (record.endedAt ?? Infinity) + FAULT_TAIL_MS,
    );
    const service = serviceOfRoute(route);
    const during =
      inProgress.find(({ fault }) => fault.kind === 'kill' && fault.service === service) ??
      inProgress.find(({ fault }) => fault.kind === 'database-outage' && fault.service === service) ??
      inProgress[0];
    const cause = `${route} ${during === undefined ? 'with no fault in progress' : `during "${describeFault(during.fault)}"`}`;
    counts.set(cause, (counts.get(cause) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
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
  for (const exit of summary.unexpectedExits) lines.push(`  ${at(exit.at)}  ${exit.instance} (${exit.exit})`);

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
    '',
    formatGoals(summary),
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

/** `POST /api/orders/:id` → orders: the service whose route prefix (the gateway's rules) the path falls under. */
function serviceOfRoute(route: string): ServiceName | undefined {
  const path = route.split(' ')[1] ?? '';
  const owners = SERVICES.flatMap((service) => service.routes.map((prefix) => ({ name: service.name, prefix })));
  const matching = owners.filter(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
  // The longest prefix wins, as in the gateway.
  return matching.sort((a, b) => b.prefix.length - a.prefix.length)[0]?.name;
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
