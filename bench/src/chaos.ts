/**
 * `npm run chaos`: the consistency harness. It starts a stack of its own, runs a few hundred
 * purchase flows through the gateway while a seeded schedule of faults breaks the stack (each service
 * SIGKILLed, NATS and Redis restarted, a database refusing connections, Stripe frozen or gone), heals
 * everything, waits until the system is quiet, and checks the invariants. With `--replicas 2 --nats-nodes 3`
 * the stack is two of every service and a three-node JetStream cluster, a kill is of one replica,
 * and a NATS node is killed and another paused. Exit code 0 when every goal is met (no invariant violated, no
 * acknowledged event missing from the stream, and with replicas no 502), 1 otherwise, 2 for a command line
 * it cannot run.
 *
 * The phases, in order: plan (from the seed, printed) → start → chaos (flows and faults together) → heal
 * → let the flows in progress finish → quiet period → check → report. Whatever happens, the `finally`
 * reopens every database, thaws the Stripe emulator and stops what the run started.
 */
import { setMaxListeners } from 'node:events';
import * as path from 'node:path';

import { findRepoRoot, StackStartAborted } from '@ticketing/local-stack';

import { checkAckedEvents, type AckedEventsCheck } from './acked-events';
import { AvailabilityLog } from './availability';
import { startChaosStack, type ChaosStack } from './chaos-stack';
import { ServiceDatabases } from './databases';
import { FaultInjector, planFaults } from './faults';
import { planFlows, runFlows, type FlowEnvironment } from './flows';
import { HttpTally } from './http-client';
import { checkInvariants, LockSampler } from './invariants';
import { OptionsError, parseOptions, USAGE, type ChaosOptions } from './options';
import { waitForQuiet } from './quiet';
import { SeededRandom } from './random';
import { formatPlan, formatReport, formatViolations, judgeGoals } from './report';
import { RunLog } from './run-log';
import { StreamInspector } from './stream';
import { Supervisor } from './supervisor';

/** Flows start over this share of the chaos phase, so that the last ones meet the calm after the faults. */
const FLOW_SPREAD = 0.85;
/** How long a user keeps retrying one step through a fault before giving up (a patient one). */
const USER_PATIENCE_MS = 60_000;
/** After healing, flows still in progress get this long to finish; then they are stopped where they are. */
const FLOW_FINISH_CAP_MS = 120_000;

async function main(): Promise<number> {
  let options: ChaosOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return runChaos(options);
}

async function runChaos(options: ChaosOptions): Promise<number> {
  const repoRoot = findRepoRoot();
  const log = new RunLog(path.join(repoRoot, 'bench', '.logs', 'chaos.log'));
  const say = (line: string): void => log.say(line);
  const random = new SeededRandom(options.seed);
  const chaosMs = options.minutes * 60_000;
  const schedule = planFaults(random.fork('faults'), chaosMs, {
    replicas: options.replicas,
    natsNodes: options.natsNodes,
  });
  const flowPlans = planFlows(random.fork('flows'), options.flows, chaosMs * FLOW_SPREAD);
  log.print(formatPlan(options, schedule, flowPlans));

  // Ctrl-C: stop the flows and faults, skip the checks, clean up. A second one exits at once.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted.signal.aborted) process.exit(130);
    say(`${signal}: healing and stopping (again to exit at once, leaving things behind)`);
    interrupted.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const availability = new AvailabilityLog();
  const supervisor = new Supervisor(availability, say);
  let chaos: ChaosStack | undefined;
  let injector: FaultInjector | undefined;
  let databases: ServiceDatabases | undefined;
  let inspector: StreamInspector | undefined;
  let sampler: LockSampler | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    const natsWord = options.natsNodes === 1 ? 'a private NATS' : `a private ${options.natsNodes}-node NATS cluster`;
    const processes = options.replicas === 1 ? 'the services' : `${options.replicas} processes of every service`;
    say(`starting PostgreSQL (reused), ${natsWord} and Redis, and ${processes}…`);
    chaos = await startChaosStack({
      repoRoot,
      log,
      supervisor,
      signal: interrupted.signal,
      replicas: options.replicas,
      natsNodes: options.natsNodes,
    });
    say(`stack up at ${chaos.stack.url}, namespace ${chaos.namespace}; service logs in ${relative(log.filePath)}`);
    databases = new ServiceDatabases(chaos);
    // Connected from the start: the injector reads the stream's last sequence around every NATS fault.
    inspector = await StreamInspector.connect(chaos);
    const streamInspector = inspector;
    injector = new FaultInjector(chaos, supervisor, availability, log, async () => {
      try {
        return (await streamInspector.state()).lastSequence;
      } catch {
        return undefined;
      }
    });

    const startedAt = Date.now();
    log.startClock(startedAt);
    sampler = new LockSampler(databases, availability, chaos.timings, startedAt);
    sampler.start();
    const heal = new AbortController();
    const stopFlows = new AbortController();
    // Every flow and fault waits on these at once: far more than the default 10 listeners, on purpose.
    setMaxListeners(10_000, heal.signal, stopFlows.signal);
    interrupted.signal.addEventListener('abort', () => {
      heal.abort();
      stopFlows.abort();
    });
    timers.push(setTimeout(() => heal.abort(), chaosMs));

    const tally = new HttpTally();
    const environment: FlowEnvironment = {
      baseUrl: chaos.stack.url,
      tally,
      reservationMs: chaos.timings.reservationSeconds * 1000,
      releaseSlackMs: (chaos.timings.sweepGraceSeconds + chaos.timings.sweepIntervalSeconds + 5) * 1000,
      patienceMs: USER_PATIENCE_MS,
      signal: stopFlows.signal,
    };
    let ended = 0;
    const flowsDone = runFlows(flowPlans, environment, {
      startedAt,
      concurrency: options.concurrency,
      stopStarting: heal.signal,
      onResult: (result) => {
        ended += 1;
        log.write(
          `flow ${result.plan.index} (${result.plan.kind}): ${result.outcome}${result.detail ? ` — ${result.detail}` : ''}`,
        );
        if (ended % 25 === 0) say(`${ended} flows ended, ${tally.requests} requests so far`);
      },
    });
    const faultRecords = await injector.run(schedule, startedAt, heal.signal);
    if (!heal.signal.aborted) await new Promise((resolve) => heal.signal.addEventListener('abort', resolve));

    say('chaos phase over: healing (every database open, every process running)');
    await injector.restoreEverything();
    say('healed; letting the flows in progress finish');
    timers.push(setTimeout(() => stopFlows.abort(), FLOW_FINISH_CAP_MS));
    const { results, notStarted } = await flowsDone;
    if (interrupted.signal.aborted) return 130;

    say(`waiting for quiet (at most ${options.quietCapMinutes} min)`);
    const { restateAfterSeconds, restateIntervalSeconds } = chaos.timings;
    const quiet = await waitForQuiet(databases, inspector, {
      capMs: options.quietCapMinutes * 60_000,
      backstopSettleSeconds: restateAfterSeconds + restateIntervalSeconds + 5,
      onProgress: (activity) => say(`still moving: ${activity}`),
      signal: interrupted.signal,
    });
    if (interrupted.signal.aborted) return 130;
    await sampler.stop();
    say('checking the invariants');
    const deadLetters = await inspector.readDeadLetters();
    const invariants = await checkInvariants(databases, deadLetters, sampler);
    say('checking that every event an outbox marked sent is in the stream');
    let ackedEvents: AckedEventsCheck | undefined;
    try {
      ackedEvents = await checkAckedEvents(databases, inspector, faultRecords);
    } catch (error) {
      say(`could not read the stream to check for lost events: ${String(error)}`);
    }

    const summary = {
      startedAt,
      faults: faultRecords,
      unexpectedExits: supervisor.unexpectedExits,
      flows: results,
      flowsNotStarted: notStarted,
      tally,
      quiet,
      invariants,
      ackedEvents,
      replicas: options.replicas,
    };
    log.print(formatReport(summary));
    log.write(`\nEvery violation:\n${formatViolations(invariants)}`);
    const verdict = judgeGoals(summary);
    const failures = [
      verdict.invariantViolations > 0 ? `${verdict.invariantViolations} invariant violations` : undefined,
      verdict.badGatewaysFail && verdict.badGateways > 0 ? `${verdict.badGateways} × 502` : undefined,
      verdict.lostEvents > 0 ? `${verdict.lostEvents} lines of acknowledged events lost` : undefined,
    ].filter((failure) => failure !== undefined);
    log.print(
      verdict.passed
        ? `PASS: no invariant violated${options.replicas > 1 ? ', no 502' : ''}, no acknowledged event lost.`
        : `FAIL: ${failures.join(', ')}. The ids are in ${relative(log.filePath)} with every service line.`,
    );
    return verdict.passed ? 0 : 1;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await sampler?.stop();
    await injector
      ?.restoreEverything()
      .catch((error: unknown) => say(`could not restore everything: ${String(error)}`));
    await inspector?.close().catch(() => undefined);
    await databases?.close();
    if (chaos !== undefined) {
      say(options.keep ? 'stopping; keeping the databases and data' : 'stopping and removing the namespace');
      await chaos.teardown({ keep: options.keep });
      if (options.keep) {
        say(`kept: databases ${chaos.namespace}_{auth,tickets,orders,payments}, data in .data/${chaos.namespace}`);
      }
    }
    await log.close();
  }
}

/** `bench/.logs/chaos.log`: from the repository root, wherever npm ran us from. */
function relative(file: string): string {
  return path.relative(findRepoRoot(), file);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StackStartAborted) process.exit(130);
    process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
