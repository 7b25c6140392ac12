/** The command line of `npm run chaos -- …`. */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

import { MAX_REPLICAS } from '@ticketing/local-stack';

export interface ChaosOptions {
  /** Decides the fault schedule and the mix of flows; random unless given, and printed either way. */
  seed: number;
  /** Length of the chaos phase (flows and faults); healing, the quiet period and the checks come after. */
  minutes: number;
  /** Purchase flows spread over the chaos phase. */
  flows: number;
  /** Flows in progress at once, at most. */
  concurrency: number;
  /** Longest wait for the quiet period before checking anyway. */
  quietCapMinutes: number;
  /** Keep the namespace's databases and NATS/Redis data after the run, to investigate violations. */
  keep: boolean;
  /** Processes of every service behind the gateway (the Stripe emulator runs once); 1 to 4. */
  replicas: number;
  /** NATS servers: one, or a three-node JetStream cluster with the stream on all three. */
  natsNodes: 1 | 3;
}

export const USAGE = `Usage: npm run chaos -- [options]

Starts a stack of its own, runs purchase flows through the gateway while a seeded schedule of faults
breaks it, heals it, waits until it is quiet, then checks the invariants. Exits 0 when none is violated.

  --seed N             the fault schedule and the flows (default: random, printed)
  --minutes M          length of the chaos phase (default 10)
  --flows N            purchase flows over that phase (default 30 a minute)
  --concurrency N      flows in progress at once, at most (default 16)
  --quiet-cap M        longest wait, in minutes, for the system to go quiet (default 5)
  --keep               keep the run's databases and NATS/Redis data to investigate (named at the end)
  --replicas N         processes of every service behind the gateway, 1 to 4 (default 1); with 2 or
                       more, a kill is of one replica, and any 502 fails the run
  --nats-nodes N       1 (default) or 3: a private three-node JetStream cluster, the stream on all
                       three; a node is killed and brought back, and one is paused for 30 s
  --help               this text`;

/** A command line that cannot run; the message says why, fit to print above the usage. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

export function parseOptions(args: readonly string[]): ChaosOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        seed: { type: 'string' },
        minutes: { type: 'string' },
        flows: { type: 'string' },
        concurrency: { type: 'string' },
        'quiet-cap': { type: 'string' },
        keep: { type: 'boolean', default: false },
        replicas: { type: 'string' },
        'nats-nodes': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new OptionsError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  const minutes = parseNumber('--minutes', values.minutes, 10, { min: 1 });
  const replicas = parseNumber('--replicas', values.replicas, 1, { min: 1, integer: true });
  if (replicas > MAX_REPLICAS) throw new OptionsError(`--replicas must be at most ${MAX_REPLICAS}, not ${replicas}`);
  const natsNodes = parseNumber('--nats-nodes', values['nats-nodes'], 1, { min: 1, integer: true });
  if (natsNodes !== 1 && natsNodes !== 3) throw new OptionsError(`--nats-nodes must be 1 or 3, not ${natsNodes}`);
  return {
    seed: parseNumber('--seed', values.seed, randomInt(1, 1_000_000), { min: 0, integer: true }),
    minutes,
    flows: parseNumber('--flows', values.flows, Math.round(30 * minutes), { min: 1, integer: true }),
    concurrency: parseNumber('--concurrency', values.concurrency, 16, { min: 1, integer: true }),
    quietCapMinutes: parseNumber('--quiet-cap', values['quiet-cap'], 5, { min: 0 }),
    keep: values.keep,
    replicas,
    natsNodes,
  };
}

function parseNumber(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min, integer = false }: { min: number; integer?: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new OptionsError(`${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, not "${raw}"`);
  }
  return value;
}
