/**
 * Where a run's lines go. The harness's own progress goes to the terminal and to the log file; what the
 * services print (thousands of lines) goes to the log file only, `bench/.logs/chaos.log`, overwritten by the
 * next run: the ids in a violation are what to search it for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class RunLog {
  private readonly file: fs.WriteStream;
  /** Where the terminal's `[m:ss]` counts from: the start of the chaos phase, as the schedule does. */
  private clockStartedAt: number | undefined;

  constructor(readonly filePath: string) {
    fs.mkdirSync(path.dirname(filePath), { recursive: true });
    this.file = fs.createWriteStream(filePath, { flags: 'w' });
    // A full disk must not end the run; the terminal still has the harness's lines.
    this.file.on('error', () => undefined);
  }

  /** From now on, terminal lines show the time since now (before, `[start]`). */
  startClock(at: number = Date.now()): void {
    this.clockStartedAt = at;
  }

  /** A line of the harness's own: on the terminal with the time on the clock, and in the file. */
  say(line: string): void {
    const stamped = `${this.elapsed()} ${line}`;
    process.stdout.write(`${stamped}\n`);
    this.file.write(`${new Date().toISOString()} harness    | ${line}\n`);
  }

  /** A block printed as it is (the schedule, the report), on the terminal and in the file. */
  print(text: string): void {
    process.stdout.write(`${text}\n`);
    this.file.write(`${text}\n`);
  }

  /** Text for the file only (the whole list of violations, where the terminal shows the first few). */
  write(text: string): void {
    this.file.write(`${text}\n`);
  }

  /** A line a service printed: in the file only. */
  service(service: string, line: string): void {
    this.file.write(`${new Date().toISOString()} ${service.padEnd(10)} | ${line}\n`);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.file.end(() => resolve()));
  }

  /** `[+3:07]`: minutes and seconds on the clock, as in the fault schedule. */
  private elapsed(): string {
    if (this.clockStartedAt === undefined) return '[start]';
    const seconds = Math.floor((Date.now() - this.clockStartedAt) / 1000);
    return `[+${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}]`;
  }
}
