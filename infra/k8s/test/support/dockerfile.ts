import fs from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  /** The instruction's arguments, flags included, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  /** `FROM <base> [AS <name>]`. */
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    if (!match) throw new Error(`line ${startLine}: cannot parse "${full}"`);
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!, line: startLine };
    if (instruction.keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`line ${startLine}: cannot parse FROM ${instruction.args}`);
      stages.push({ base: from[1]!, name: from[2], instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${startLine}: ${instruction.keyword} before any FROM`);
    stage.instructions.push(instruction);
  });
  return stages;
}

export function readDockerfile(file: string): Stage[] {
  return parseDockerfile(fs.readFileSync(file, 'utf8'));
}

/** The JSON (exec) form of CMD/ENTRYPOINT; the shell form is refused (signals would go to a shell). */
export function execForm(instruction: Instruction | undefined): string[] | undefined {
  if (!instruction) return undefined;
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) return undefined;
  return parsed as string[];
}

export interface Copy {
  from?: string;
  sources: string[];
  /** Absolute destination inside the image (WORKDIR applied). */
  destination: string;
}

/** A stage's COPY instructions with their flags, and the WORKDIR in force at each. */
export function copiesOf(stage: Stage): Copy[] {
  let workdir = '/';
  const copies: Copy[] = [];
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, instruction.args);
    if (instruction.keyword !== 'COPY') continue;
    const words = instruction.args.split(/\s+/);
    const flags = words.filter((word) => word.startsWith('--'));
    const paths = words.filter((word) => !word.startsWith('--'));
    const destination = paths.pop() ?? '';
    copies.push({
      from: flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length),
      sources: paths,
      destination: path.posix.resolve(workdir, destination),
    });
  }
  return copies;
}

/** The last value of an instruction in a stage (WORKDIR is resolved against the previous ones). */
export function lastWorkdir(stage: Stage): string {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'WORKDIR')
    .reduce((workdir, instruction) => path.posix.resolve(workdir, instruction.args), '/');
}

export const last = (stage: Stage, keyword: string): Instruction | undefined =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);

export const runs = (stage: Stage): string[] =>
  stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);

/**
 * The variables a stage's ENV instructions set (`ENV A=1 B=2` form, unquoted values), the stages it is built
 * on first: what a container of it starts with.
 */
export function environmentOf(stages: readonly Stage[], stage: Stage): Record<string, string> {
  const parent = stages.find((candidate) => candidate.name === stage.base);
  const env: Record<string, string> = parent ? environmentOf(stages, parent) : {};
  for (const instruction of stage.instructions.filter((candidate) => candidate.keyword === 'ENV')) {
    for (const pair of instruction.args.split(/\s+/)) {
      const equals = pair.indexOf('=');
      if (equals > 0) env[pair.slice(0, equals)] = pair.slice(equals + 1);
    }
  }
  return env;
}
