/**
 * `npm run bench [-- scenario…] [--repo DIR]`: the load and latency benchmarks. Starts the whole stack from
 * its builds in a namespace of its own (the launcher of `npm start`, in a process of its own), runs the
 * scenarios through the gateway, prints one table (figure, value, goal, anchor, ratio, met), and writes
 * `bench/results/<timestamp>.json` with the flash sale's latency picture beside it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { TEST_JWT_KEY } from '@ticketing/common/testing';

import { startBenchStack } from './suite/bench-stack';
import { Client } from './suite/load';
import type { Context } from './suite/market';
import { isMet, renderLatencySvg, renderTable, writeResults, type RunRecord } from './suite/report';
import {
  monotonicNowUs,
  renderProfileMatrix,
  renderProfiles,
  summarizeDirectory,
  type Window,
} from './suite/profile-report';
import { cpuSeconds, measureIdleRates } from './suite/cpu-per-operation';
import { memory, SCENARIOS, stackProcesses, type ScenarioName } from './suite/scenarios';

const BENCH_ROOT = path.resolve(__dirname, '..');

/**
 * What the services run with unless the shell says otherwise: the key the suite signs sessions with, and a
 * reservation window short enough that the flash sale's reservations run out within the run (the expiry
 * scenario watches them), long enough that none runs out while the sale is still answering.
 */
const BENCH_ENVIRONMENT_DEFAULTS: Readonly<Record<string, string>> = {
  JWT_KEY: TEST_JWT_KEY,
  ORDER_EXPIRATION_SECONDS: '60',
};

/** The flash picture's lines for the stacks after the first (`--replicas 1,2`). */
const LATER_COLOURS = ['#d62728', '#9467bd', '#8c564b', '#e377c2'];

interface Options {
  scenarios: ScenarioName[];
  repo: string;
  results: string;
  /** One stack per entry, one after another, each with that many processes of every service. */
  replicas: (number | undefined)[];
  /** Every process writes a CPU profile, summarized by part at the end (run one scenario to see its own). */
  cpuProfile: boolean;
}

const USAGE = `usage: npm run bench [-- [scenario…] [--repo DIR] [--results DIR] [--replicas N[,N…]]]
scenarios (default: all, in this order): ${Object.keys(SCENARIOS).join(' ')}
--repo DIR       run the services built in another checkout (for a before/after in one session)
--results DIR    where the JSON and the picture go (default bench/results)
--replicas 1,2   the scenarios on a stack of one process a service, then again on one of two
                 (STACK_REPLICAS), in one run and one table (default: STACK_REPLICAS, else 1)
--cpu-prof       every process writes a V8 CPU profile (results/<timestamp>-profiles/), and the run ends
                 with where each one's time went in each scenario, by part (HTTP framework, session, pg,
                 logging…)`;

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    scenarios: [],
    repo: path.resolve(BENCH_ROOT, '..'),
    results: path.join(BENCH_ROOT, 'results'),
    replicas: [undefined],
    cpuProfile: false,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (argument === '--replicas') {
      const value = argv[(index += 1)] ?? '';
      const counts = value.split(',').map(Number);
      if (value === '' || counts.some((count) => !Number.isInteger(count) || count < 1 || count > 4)) {
        throw new UsageError(`--replicas needs counts from 1 to 4, comma-separated, not "${value}"`);
      }
      options.replicas = counts;
    } else if (argument === '--repo' || argument === '--results') {
      const value = argv[(index += 1)];
      if (value === undefined) throw new UsageError(`${argument} needs a directory`);
      options[argument === '--repo' ? 'repo' : 'results'] = path.resolve(value);
    } else if (argument === '--cpu-prof') {
      options.cpuProfile = true;
    } else if (argument === '--help' || argument === '-h') {
      throw new UsageError('');
    } else if (argument in SCENARIOS) {
      options.scenarios.push(argument as ScenarioName);
    } else {
      throw new UsageError(`unknown scenario or option: ${argument}`);
    }
  }
  const all = Object.keys(SCENARIOS) as ScenarioName[];
  // Whatever the command line's order, scenarios run in the suite's.
  options.scenarios = options.scenarios.length === 0 ? all : all.filter((name) => options.scenarios.includes(name));
  return options;
}

class UsageError extends Error {}

function commitOf(repo: string): string {
  try {
    return execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const startedAt = new Date().toISOString();
  const figures: Context['figures'] = [];
  const details: Context['details'] = {};
  let flashSeries: Context['flashSeries'];
  let interrupted = false;
  for (const replicas of options.replicas) {
    // With several stacks in one run, each figure says which it was measured on.
    const tag = options.replicas.length > 1 ? ` [${String(replicas)} replica${replicas === 1 ? '' : 's'}]` : '';
    const context = await runOnOneStack(
      options,
      replicas,
      say,
      () => interrupted,
      () => (interrupted = true),
    );
    if (context === undefined) return;
    for (const figure of context.figures) figures.push({ ...figure, name: `${figure.name}${tag}` });
    for (const [key, value] of Object.entries(context.details)) details[`${key}${tag}`] = value;
    if (context.flashSeries !== undefined) {
      flashSeries = [
        ...(flashSeries ?? []),
        ...context.flashSeries.map((series, index) => ({
          ...series,
          label: `${series.label}${tag}`,
          // The later stacks' lines in colours of their own.
          colour: flashSeries === undefined ? series.colour : (LATER_COLOURS[index % LATER_COLOURS.length] as string),
        })),
      ];
    }
  }

  say('');
  say(renderTable(figures));
  const record: RunRecord = {
    startedAt,
    commit: commitOf(options.repo),
    repo: options.repo,
    node: process.version,
    cpus: os.cpus().length,
    scenarios: options.scenarios,
    figures,
    details,
  };
  const svg = flashSeries
    ? renderLatencySvg(
        `Flash sale: 10,000 buyers on 1,000 tickets (${record.commit}, ${startedAt.slice(0, 16)})`,
        flashSeries,
      )
    : undefined;
  for (const file of writeResults(options.results, record, svg))
    say(`bench: wrote ${path.relative(process.cwd(), file)}`);
  const missed = figures.filter((figure) => isMet(figure) === false);
  say(missed.length === 0 ? 'bench: every goal met' : `bench: ${missed.length} goal(s) not met`);
}

/** Starts a stack of `replicas` processes a service, runs the scenarios on it, stops it; undefined if interrupted. */
async function runOnOneStack(
  options: Options,
  replicas: number | undefined,
  say: (line: string) => void,
  wasInterrupted: () => boolean,
  markInterrupted: () => void,
): Promise<Context | undefined> {
  const namespace = `bench_${randomBytes(4).toString('hex')}`;
  const logFile = path.join(BENCH_ROOT, '.logs', 'bench.log');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(BENCH_ENVIRONMENT_DEFAULTS)) env[name] = process.env[name] ?? value;

  const processes = replicas === undefined ? '' : `, ${replicas} process${replicas === 1 ? '' : 'es'} a service`;
  say(
    `bench: starting the stack from ${options.repo} (namespace ${namespace}${processes}; its output goes to ${logFile})`,
  );
  const cpuProfileDir = options.cpuProfile
    ? path.join(options.results, `${new Date().toISOString().replace(/[:.]/g, '-')}-profiles`)
    : undefined;
  const stack = await startBenchStack({ repo: options.repo, namespace, logFile, env, replicas, cpuProfileDir });
  const context: Context = {
    stack,
    api: new Client(stack.url, 64),
    figures: [],
    details: {},
    say,
    idleCpu: {},
  };
  // Each scenario's stretch of the monotonic clock, to cut its share out of the profiles of the whole run.
  const windows: Record<string, Window> = {};
  const onInterrupt = (): void => {
    markInterrupted();
    say('bench: interrupted; stopping the stack');
    void stack.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    context.figures.push({
      scenario: 'start',
      name: 'stack start (every service ready)',
      value: stack.startMs / 1000,
      unit: 's',
      goal: { op: '<=', value: 10 },
    });
    memory(context, 'idle', { 'launcher and gateway': stack.processId });
    // What each process burns asking nothing (probes, pollers, the relay's beat): left out of every operation's cost.
    context.idleCpu = await measureIdleRates(stackProcesses(context));
    context.details['idle cpu seconds a second'] = context.idleCpu;
    say(
      `bench: idle CPU: ${Object.entries(context.idleCpu)
        .map(([name, rate]) => `${name} ${(rate * 1000).toFixed(0)} ms/s`)
        .join(', ')}`,
    );
    for (const name of options.scenarios) {
      say(`bench: ${name}`);
      const started = Date.now();
      const processIds = { ...stack.processIds(), 'launcher and gateway': stack.processId, bench: process.pid };
      const cpuBefore = cpuSeconds(processIds);
      const startUs = monotonicNowUs();
      await SCENARIOS[name](context);
      windows[name] = { startUs, endUs: monotonicNowUs() };
      const cpuAfter = cpuSeconds(processIds);
      const cpu = Object.entries(cpuAfter)
        .map(([process, seconds]) => [process, seconds - (cpuBefore[process] ?? 0)] as const)
        .filter(([, seconds]) => seconds >= 0.05)
        .sort((a, b) => b[1] - a[1]);
      context.details[`cpu seconds: ${name}`] = Object.fromEntries(cpu);
      say(
        `bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s; CPU s: ${cpu.map(([process, seconds]) => `${process} ${seconds.toFixed(1)}`).join(', ')}`,
      );
    }
    memory(context, 'after the run', { 'launcher and gateway': stack.processId });
  } finally {
    process.off('SIGINT', onInterrupt);
    await context.api.close();
    if (!wasInterrupted()) await stack.stop();
  }
  if (cpuProfileDir !== undefined && !wasInterrupted()) {
    fs.writeFileSync(path.join(cpuProfileDir, 'windows.json'), JSON.stringify(windows));
    const summary = Object.entries(windows)
      .map(([name, window]) => {
        const profiles = summarizeDirectory(cpuProfileDir, window);
        return `## ${name}\n\n${renderProfileMatrix(profiles)}\n\n${renderProfiles(profiles)}`;
      })
      .join('\n');
    fs.writeFileSync(path.join(cpuProfileDir, 'summary.md'), summary);
    say(`bench: where each process's CPU went, a scenario at a time (profiles in ${cpuProfileDir}):\n`);
    say(summary);
  }
  return wasInterrupted() ? undefined : context;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    if (error.message) process.stderr.write(`${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(error.message ? 2 : 0);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
