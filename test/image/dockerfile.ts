/**
 * Reads the repository's Dockerfile into stages and instructions, so the tests that stand in for
 * the image (no Docker daemon on our machines or in CI) take the copied paths, the environment,
 * the entrypoint and the health check from the Dockerfile itself instead of a second list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export interface Copy {
  /** the stage copied from (--from=), undefined for the build context */
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
}

/** Stages in order; line continuations joined, comments and the parser directive dropped. */
export function parseDockerfile(text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')): Stage[] {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!cur && /^\s*#/.test(line)) continue;
    if (cur && /^\s*#/.test(line)) continue; // comment lines inside a continuation are ignored by Docker too
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    cur += line;
    if (cur.trim()) logical.push(cur.trim());
    cur = '';
  }
  if (cur.trim()) logical.push(cur.trim());
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') {
      const f = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      stages.push({ from: f[1], name: f[2], instructions: [] });
      continue;
    }
    if (!stages.length) throw new Error(`Dockerfile: ${op} before the first FROM`);
    stages[stages.length - 1].instructions.push({ op, args });
  }
  return stages;
}

/** The instructions of one kind in a stage. */
export function instructions(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

/** One instruction that must appear exactly once in the stage. */
export function single(stage: Stage, op: string): string {
  const all = instructions(stage, op);
  if (all.length !== 1) throw new Error(`Dockerfile: expected one ${op} in the stage from ${stage.from}, found ${all.length}`);
  return all[0];
}

/** COPY flags, sources and destination (shell form; paths with spaces are not used in our Dockerfile). */
export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  const copy: Copy = { sources: [], dest: '' };
  while (words[0]?.startsWith('--')) {
    const [flag, value] = words.shift()!.slice(2).split('=');
    if (flag === 'from') copy.from = value;
    else if (flag === 'chown') copy.chown = value;
    else throw new Error(`Dockerfile: COPY flag --${flag} is not understood by this test`);
  }
  if (words.length < 2) throw new Error(`Dockerfile: COPY ${args} needs a source and a destination`);
  copy.dest = words.pop()!;
  copy.sources = words;
  return copy;
}

/** An exec-form (JSON array) ENTRYPOINT / CMD / HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const v: unknown = JSON.parse(args);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`Dockerfile: ${args} is not an exec-form array`);
  return v;
}

/** ENV key=value pairs (several on one instruction, values without spaces or in double quotes). */
export function parseEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructions(stage, 'ENV')) {
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) env[m[1]] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
  }
  return env;
}

/** The HEALTHCHECK's options (--interval=30s ...) and its exec-form command. */
export function parseHealthcheck(stage: Stage): { options: Record<string, string>; cmd: string[] } {
  const args = single(stage, 'HEALTHCHECK');
  const m = /^((?:--\S+\s+)*)CMD\s+(\[.*\])$/.exec(args);
  if (!m) throw new Error(`Dockerfile: HEALTHCHECK ${args} is not "[--options] CMD [exec form]"`);
  const options = Object.fromEntries(
    m[1]
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((o) => o.slice(2).split('=') as [string, string]),
  );
  return { options, cmd: execForm(m[2]) };
}

/** "30s", "1m30s" → seconds. */
export function durationSeconds(d: string): number {
  let s = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) s += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return s;
}
