/**
 * `npm run dead-letters -- list [durable]` and `npm run dead-letters -- replay <durable> [sequence]`:
 * what a person uses to see the events a listener gave up on, and to send them through again once the
 * cause is fixed (docs/rules.md#rule-6). Replaying is safe: every listener is idempotent.
 *
 * Reads NATS_URL, NATS_STREAM and NATS_SUBJECT_PREFIX like the services do (defaults: the stack that
 * `npm start` runs).
 */
import { EventBus, createLogger, listDeadLetters, replayDeadLetters, type StoredDeadLetter } from '@ticketing/common';
import { DEFAULT_NATS_URL } from './infrastructure';

const USAGE = [
  'usage: npm run dead-letters -- list [durable]',
  '       npm run dead-letters -- replay <durable> [sequence]',
  '',
  "  list     every dead letter (or one listener's): listener, kind, event sequence, age and reason",
  "  replay   publish a listener's dead letters again (only the event at <sequence> when given) and",
  '           remove them from the list',
].join('\n');

/** Runs one command; resolves to the exit code. */
export async function runDeadLettersCommand(argv: string[]): Promise<number> {
  const [command, durable, sequenceText] = argv;
  if (command !== 'list' && command !== 'replay') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === 'replay' && !durable) {
    process.stderr.write(`replay needs the listener's durable name\n${USAGE}\n`);
    return 2;
  }
  const sequence = sequenceText === undefined ? undefined : Number(sequenceText);
  if (sequence !== undefined && !(Number.isInteger(sequence) && sequence > 0)) {
    process.stderr.write(`sequence must be a positive integer, got ${sequenceText}\n`);
    return 2;
  }

  const bus = await EventBus.connect({
    servers: process.env.NATS_URL ?? DEFAULT_NATS_URL,
    stream: process.env.NATS_STREAM ?? 'TICKETING',
    subjectPrefix: process.env.NATS_SUBJECT_PREFIX ?? 'ticketing',
    connectionName: 'dead-letters-cli',
    logger: createLogger({ service: 'dead-letters', level: 'warn' }),
    connectTimeoutMs: 5_000,
  });
  try {
    if (command === 'list') {
      const deadLetters = await listDeadLetters(bus, durable);
      process.stdout.write(formatList(deadLetters));
      return 0;
    }
    const replayed = await replayDeadLetters(bus, durable as string, sequence);
    for (const deadLetter of replayed) {
      process.stdout.write(
        `replayed ${deadLetter.durable} event #${deadLetter.streamSequence} (${deadLetter.subject})\n`,
      );
    }
    process.stdout.write(
      replayed.length === 0
        ? `no dead letter of ${durable}${sequence === undefined ? '' : ` for event #${sequence}`}\n`
        : `${replayed.length} replayed\n`,
    );
    return replayed.length === 0 && sequence !== undefined ? 1 : 0;
  } finally {
    await bus.close();
  }
}

/** One line per dead letter, then a count: readable in a terminal, greppable in a script. */
export function formatList(deadLetters: StoredDeadLetter[], now = new Date()): string {
  if (deadLetters.length === 0) return 'no dead letters\n';
  const lines = deadLetters.map((deadLetter) =>
    [
      deadLetter.durable,
      deadLetter.kind ?? 'unknown',
      `event #${deadLetter.streamSequence}`,
      deadLetter.subject,
      `${ageOf(deadLetter.deadAt, now)} ago`,
      deadLetter.reason.replace(/\s+/g, ' ').slice(0, 200),
    ].join('  '),
  );
  return `${lines.join('\n')}\n${deadLetters.length} dead letter${deadLetters.length === 1 ? '' : 's'}\n`;
}

function ageOf(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

if (require.main === module) {
  runDeadLettersCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`dead-letters: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
