/**
 * The faults: what breaks, when, and for how long, drawn from the seed (the same seed and length give the
 * same schedule), and how each one is done and undone. Every fault undoes itself when its time is up, or at
 * once when the run heals; {@link FaultInjector.restoreEverything} undoes whatever might be left, and the
 * harness calls it in a `finally`, so no database stays closed and no process stays frozen.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

import type { ServiceName } from '@ticketing/local-stack';

import type { AvailabilityLog } from './availability';
import { CHAOS_SERVICES, SERVICES_WITH_DATABASE, type ChaosStack, type ServiceWithDatabase } from './chaos-stack';
import type { SeededRandom } from './random';
import type { RunLog } from './run-log';
import type { Supervisor } from './supervisor';

/** How long healing waits for every service to be up again before the run goes on without it. */
const SERVICES_BACK_WITHIN_MS = 120_000;

/** How long the injector waits for the stream to answer again after a NATS fault before noting it unread. */
const STREAM_BACK_WITHIN_MS = 60_000;

/** One fault of the schedule: it begins `atMs` after the start of the chaos phase and lasts `downMs`. */
export type Fault =
  /**
   * SIGKILL (no shutdown at all), then the supervisor starts it again after `downMs`. With replicas, of one
   * process (`replica`) while the others serve: mid-purchase, since flows run all through the chaos phase.
   */
  | { kind: 'kill'; service: ServiceName; replica?: number; atMs: number; downMs: number }
  /** The private nats-server stopped, then started again on the same port and data. */
  | { kind: 'nats-restart'; atMs: number; downMs: number }
  /** One node of the private NATS cluster SIGKILLed (the stream keeps its quorum), started again on its store. */
  | { kind: 'nats-node-killed'; node: number; atMs: number; downMs: number }
  /** One node of the private NATS cluster frozen with SIGSTOP (alive to the kernel, silent), then SIGCONT. */
  | { kind: 'nats-node-paused'; node: number; atMs: number; downMs: number }
  /** The private redis-server stopped (its append-only file kept), then started again. */
  | { kind: 'redis-restart'; atMs: number; downMs: number }
  /** `ALTER DATABASE … ALLOW_CONNECTIONS false` and every backend terminated; allowed again after `downMs`. */
  | { kind: 'database-outage'; service: ServiceWithDatabase; atMs: number; downMs: number }
  /** The Stripe emulator frozen with SIGSTOP (requests hang, as when Stripe is slow), then SIGCONT. */
  | { kind: 'stripe-frozen'; atMs: number; downMs: number }
  /** The Stripe emulator killed (it keeps its state in memory, so it comes back empty), started again later. */
  | { kind: 'stripe-killed'; atMs: number; downMs: number };

/** The long outages (a database, Stripe): 2 minutes, or less in a run too short to hold them. */
export function longOutageMs(chaosMs: number): number {
  return Math.min(120_000, Math.round(chaosMs * 0.3));
}

/** How long a NATS node stays paused (SIGSTOP): the 30 s, clipped in a run too short for it. */
export function natsPauseMs(chaosMs: number): number {
  return Math.min(30_000, Math.round(chaosMs * 0.1));
}

/** The shape of the stack a schedule is drawn for. */
export interface Topology {
  /** Processes of every service (the Stripe emulator runs once). */
  replicas: number;
  /** 1: one NATS server; 3: a JetStream cluster. */
  natsNodes: number;
}

/**
 * Draws the schedule: a kill of every service, a NATS restart, a Redis restart, one database refusing
 * connections and one Stripe outage (frozen or killed), each starting between 10 % and 80 % of the chaos
 * phase and over by 80 %, so that the phase ends with a calm stretch in which flows meet a whole stack.
 * Two faults on the same part never overlap (a database outage counts as a fault of its service; every NATS
 * fault is one of `nats`, so that at most one node is ever out and the stream keeps its quorum).
 *
 * With replicas, each kill is of one process of the service, the seed picking which: the stack that must
 * answer no 502 is one where a service's other process stands beside the dead one. With a NATS cluster, the
 * whole-server restart becomes a node SIGKILLed and started again after 5–20 s, and one node is paused
 * (SIGSTOP) for 30 s. A one-process, one-server run draws exactly the schedule it drew before replicas.
 */
export function planFaults(
  random: SeededRandom,
  chaosMs: number,
  topology: Topology = { replicas: 1, natsNodes: 1 },
): Fault[] {
  const longMs = longOutageMs(chaosMs);
  const seconds = (min: number, max: number): number => random.integer(min, max) * 1000;
  const replicated = topology.replicas > 1;
  // A function, called in its place in the list: the seed's draws come in the order they always did.
  const natsFaults = (): Fault[] =>
    topology.natsNodes > 1
      ? [
          {
            kind: 'nats-node-killed',
            node: random.integer(0, topology.natsNodes - 1),
            atMs: 0,
            downMs: seconds(5, 20),
          },
          {
            kind: 'nats-node-paused',
            node: random.integer(0, topology.natsNodes - 1),
            atMs: 0,
            downMs: natsPauseMs(chaosMs),
          },
        ]
      : [{ kind: 'nats-restart', atMs: 0, downMs: seconds(3, 15) }];
  const unplaced: Fault[] = [
    ...CHAOS_SERVICES.map((service): Fault => ({
      kind: 'kill',
      service,
      ...(replicated && { replica: random.integer(1, topology.replicas) }),
      atMs: 0,
      downMs: seconds(2, 10),
    })),
    ...natsFaults(),
    { kind: 'redis-restart', atMs: 0, downMs: seconds(3, 15) },
    { kind: 'database-outage', service: random.pick(SERVICES_WITH_DATABASE), atMs: 0, downMs: longMs },
    { kind: random.chance(0.5) ? 'stripe-frozen' : 'stripe-killed', atMs: 0, downMs: longMs },
  ];
  const earliest = Math.round(chaosMs * 0.1);
  const latestEnd = Math.round(chaosMs * 0.8);
  const placed: Fault[] = [];
  // The long ones first: they are the hardest to fit.
  for (const fault of [...unplaced].sort((a, b) => b.downMs - a.downMs)) {
    const latestStart = Math.max(earliest, latestEnd - fault.downMs);
    let atMs = random.integer(earliest, latestStart);
    for (let attempt = 0; attempt < 50 && placed.some((other) => overlaps(fault, atMs, other)); attempt += 1) {
      atMs = random.integer(earliest, latestStart);
    }
    placed.push({ ...fault, atMs });
  }
  return placed.sort((a, b) => a.atMs - b.atMs);
}

/** The part of the stack a fault breaks; two faults of one part must not overlap. */
function partOf(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
    case 'database-outage':
      return fault.service;
    case 'nats-restart':
    case 'nats-node-killed':
    case 'nats-node-paused':
      return 'nats';
    case 'redis-restart':
      return 'redis';
    case 'stripe-frozen':
    case 'stripe-killed':
      return 'stripe-emulator';
  }
}

function overlaps(fault: Fault, atMs: number, other: Fault): boolean {
  // A few seconds apart at least, so that the second fault meets a part that has come back.
  const marginMs = 5_000;
  return (
    (partOf(fault) === partOf(other) || stillsTheStream(fault, other) || stillsTheStream(other, fault)) &&
    atMs < other.atMs + other.downMs + marginMs &&
    other.atMs < atMs + fault.downMs + marginMs
  );
}

/**
 * A NATS node out while a database or Stripe is away would meet a stream with little to carry (buyers stuck
 * on the outage publish nothing): the cluster faults are kept clear of the long outages, as far as the
 * placement's tries allow, so that events flow while a node is out.
 */
function stillsTheStream(natsFault: Fault, other: Fault): boolean {
  const clusterFault = natsFault.kind === 'nats-node-killed' || natsFault.kind === 'nats-node-paused';
  const longOutage =
    other.kind === 'database-outage' || other.kind === 'stripe-frozen' || other.kind === 'stripe-killed';
  return clusterFault && longOutage;
}

/** `SIGKILL orders, started again after 7 s`: one line of the printed schedule. */
export function describeFault(fault: Fault): string {
  const down = `${Math.round(fault.downMs / 1000)} s`;
  switch (fault.kind) {
    case 'kill':
      return fault.replica === undefined
        ? `SIGKILL ${fault.service}, started again after ${down}`
        : `SIGKILL ${fault.service}#${fault.replica} (its other replicas serve), started again after ${down}`;
    case 'nats-restart':
      return `NATS stopped, started again after ${down}`;
    case 'nats-node-killed':
      return `NATS node n${fault.node + 1} SIGKILLed, started again after ${down}`;
    case 'nats-node-paused':
      return `NATS node n${fault.node + 1} paused (SIGSTOP) for ${down}, then SIGCONT`;
    case 'redis-restart':
      return `Redis stopped, started again after ${down}`;
    case 'database-outage':
      return `the ${fault.service} database refuses connections for ${down}`;
    case 'stripe-frozen':
      return `Stripe emulator frozen (SIGSTOP) for ${down}, then SIGCONT`;
    case 'stripe-killed':
      return `Stripe emulator killed (SIGKILL) for ${down}, then started again`;
  }
}

/** What became of one fault of the schedule. */
export interface FaultRecord {
  fault: Fault;
  /** When it was done and undone (undefined: not reached, because the run healed before its time). */
  startedAt?: number;
  endedAt?: number;
  /** Why it could not be done or undone, if so. */
  error?: string;
  /**
   * A NATS fault's stream, read just before it and once it is undone (and the stream answers again): its
   * last sequence must never go backwards, or an acknowledged message was lost.
   */
  stream?: { lastSequenceBefore?: number; lastSequenceAfter?: number };
}

/** What the injector asks of the stream around a NATS fault: its last sequence now, or undefined if unreadable. */
export type StreamProbe = () => Promise<number | undefined>;

export class FaultInjector {
  /** Pids of a Stripe emulator or NATS node frozen now: {@link FaultInjector.restoreEverything} thaws them. */
  private readonly frozen = new Set<number>();

  constructor(
    private readonly chaos: ChaosStack,
    private readonly supervisor: Supervisor,
    private readonly availability: AvailabilityLog,
    private readonly log: RunLog,
    private readonly streamProbe?: StreamProbe,
  ) {}

  /**
   * Runs the schedule from `startedAt`; `heal` ends every fault in progress at once (each undoes itself)
   * and cancels those not begun. Resolves once every fault has been undone.
   */
  run(schedule: readonly Fault[], startedAt: number, heal: AbortSignal): Promise<FaultRecord[]> {
    return Promise.all(
      schedule.map(async (fault): Promise<FaultRecord> => {
        const record: FaultRecord = { fault };
        const waitMs = startedAt + fault.atMs - Date.now();
        if (waitMs > 0) await sleep(waitMs, undefined, { signal: heal }).catch(() => undefined);
        if (heal.aborted) return record;
        const natsFault = partOf(fault) === 'nats' && this.streamProbe !== undefined;
        if (natsFault) record.stream = { lastSequenceBefore: await this.streamProbe?.() };
        record.startedAt = Date.now();
        this.log.say(`fault: ${describeFault(fault)}`);
        try {
          await this.inject(fault, heal);
        } catch (error) {
          record.error = error instanceof Error ? error.message : String(error);
          this.log.say(`fault failed: ${describeFault(fault)}: ${record.error}`);
        }
        record.endedAt = Date.now();
        if (natsFault && record.stream !== undefined) {
          record.stream.lastSequenceAfter = await this.streamAnswersAgain();
          const { lastSequenceBefore: before, lastSequenceAfter: after } = record.stream;
          this.log.say(`stream around "${describeFault(fault)}": last sequence ${before ?? '?'} → ${after ?? '?'}`);
        }
        return record;
      }),
    );
  }

  /**
   * Undoes anything a fault may have left, whatever happened: every database accepts connections, a frozen
   * emulator runs, NATS and Redis run, and every service is up (the supervisor starts what is down).
   */
  async restoreEverything(): Promise<void> {
    for (const service of SERVICES_WITH_DATABASE) {
      await this.setConnectionsAllowed(service, true).catch((error: unknown) => {
        this.log.say(`could not reopen ${this.chaos.databaseName(service)}: ${String(error)}`);
      });
    }
    for (const pid of this.frozen) thaw(pid);
    this.frozen.clear();
    await Promise.all([
      this.chaos.nats?.start(),
      ...this.chaos.natsNodes.map((node) => node.start()),
      this.chaos.redis.start(),
    ]);
    const stillDown = await this.supervisor.releaseAll(SERVICES_BACK_WITHIN_MS);
    if (stillDown.length > 0) {
      this.log.say(`still not up after ${SERVICES_BACK_WITHIN_MS / 1000} s: ${stillDown.join(', ')} (restarts go on)`);
    }
  }

  /** Does the fault, waits out its duration (or the heal), and undoes it, whatever happened meanwhile. */
  private async inject(fault: Fault, heal: AbortSignal): Promise<void> {
    const waitOut = (): Promise<void> => sleep(fault.downMs, undefined, { signal: heal }).catch(() => undefined);
    switch (fault.kind) {
      case 'kill':
        await this.outage(
          undefined,
          async () => {
            await this.supervisor.kill(fault.service, fault.replica);
          },
          waitOut,
          async () => {
            await this.supervisor.release(fault.service, fault.replica);
          },
        );
        return;
      case 'stripe-killed':
        await this.outage(
          undefined,
          async () => {
            await this.supervisor.kill('stripe-emulator');
          },
          waitOut,
          async () => {
            await this.supervisor.release('stripe-emulator');
          },
        );
        return;
      case 'nats-restart': {
        const nats = this.chaos.nats;
        if (nats === undefined) throw new Error('no single NATS server to restart (this run has a cluster)');
        await this.outage(
          'nats',
          () => nats.stop(),
          waitOut,
          () => startAgain(nats),
        );
        return;
      }
      case 'nats-node-killed': {
        // A node is not NATS: the cluster keeps a quorum, so nothing is marked down in the availability log.
        const node = this.natsNode(fault.node);
        await this.outage(
          undefined,
          () => node.kill(),
          waitOut,
          () => startAgain(node),
        );
        return;
      }
      case 'nats-node-paused': {
        const node = this.natsNode(fault.node);
        const pid = node.pid;
        if (pid === undefined) throw new Error(`NATS node n${fault.node + 1} is not running`);
        await this.outage(
          undefined,
          async () => {
            this.frozen.add(pid);
            process.kill(pid, 'SIGSTOP');
          },
          waitOut,
          async () => {
            thaw(pid);
            this.frozen.delete(pid);
          },
        );
        return;
      }
      case 'redis-restart':
        await this.outage(
          'redis',
          () => this.chaos.redis.stop(),
          waitOut,
          () => startAgain(this.chaos.redis),
        );
        return;
      case 'database-outage':
        await this.outage(
          `database:${fault.service}`,
          () => this.setConnectionsAllowed(fault.service, false),
          waitOut,
          () => this.setConnectionsAllowed(fault.service, true),
        );
        return;
      case 'stripe-frozen': {
        const pid = this.chaos.stack.processIdOf('stripe-emulator');
        if (pid === undefined) throw new Error('the Stripe emulator is not running');
        await this.outage(
          'stripe-emulator',
          async () => {
            this.frozen.add(pid);
            process.kill(pid, 'SIGSTOP');
          },
          waitOut,
          async () => {
            thaw(pid);
            this.frozen.delete(pid);
          },
        );
        return;
      }
    }
  }

  private natsNode(index: number): ChaosStack['natsNodes'][number] {
    const node = this.chaos.natsNodes[index];
    if (node === undefined) throw new Error(`this run has no NATS node n${index + 1}`);
    return node;
  }

  /** The stream's last sequence once it answers again after a NATS fault (a new leader may take seconds). */
  private async streamAnswersAgain(): Promise<number | undefined> {
    const deadline = Date.now() + STREAM_BACK_WITHIN_MS;
    for (;;) {
      const last = await this.streamProbe?.().catch(() => undefined);
      if (last !== undefined || Date.now() > deadline) return last;
      await sleep(1_000);
    }
  }

  /**
   * Breaks a part, waits, and mends it in a `finally`, noting both moments in the availability log under
   * `part`; a killed process has no `part` here, since the supervisor notes when it is down and ready again.
   */
  private async outage(
    part: string | undefined,
    breakIt: () => Promise<void>,
    waitOut: () => Promise<void>,
    mend: () => Promise<void>,
  ): Promise<void> {
    if (part !== undefined) this.availability.markDown(part);
    try {
      await breakIt();
      await waitOut();
    } finally {
      await mend();
      if (part !== undefined) this.availability.markUp(part);
    }
  }

  /**
   * Takes a service's database away without stopping the server (the STACK-NOTES recipe): new connections
   * are refused, and the ones open are terminated, as when the database's host is lost. Or gives it back.
   */
  private async setConnectionsAllowed(service: ServiceWithDatabase, allowed: boolean): Promise<void> {
    const client = new Client({ connectionString: this.chaos.adminUrl, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const database = this.chaos.databaseName(service);
      await client.query(`ALTER DATABASE ${client.escapeIdentifier(database)} ALLOW_CONNECTIONS ${String(allowed)}`);
      if (!allowed) {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [database],
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Starts a stopped private server or cluster node again, retrying a little (its port may linger for a moment). */
async function startAgain(server: { start(): Promise<void> }): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await server.start();
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(2_000);
    }
  }
}

function thaw(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // Gone already: nothing to thaw.
  }
}
