// The built CLI (dist/cli/main.js) as a user runs it: one process per run, wall time from spawn to
// exit, and its peak RSS from /usr/bin/time when the machine has it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round1 } from './measure.js';

const TIME = '/usr/bin/time';

export interface CliRun {
  ms: number;
  status: number | null;
  /** Peak resident set of the process (the sandbox worker is one of its threads). */
  maxRssMb?: number;
  stdout: string;
  stderr: string;
}

export function runCli(main: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): CliRun {
  return runProgram(process.execPath, [main, ...args], env, cwd);
}

/** Any program, timed and measured the same way (squawk beside pgpro). */
export function runProgram(program: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): CliRun {
  const scratch = mkdtempSync(join(tmpdir(), 'pgpro-bench-time-'));
  const rssFile = join(scratch, 'rss');
  const withTime = existsSync(TIME);
  const command = withTime ? TIME : program;
  const argv = withTime ? ['-f', '%M', '-o', rssFile, program, ...args] : args;
  const t0 = performance.now();
  const result = spawnSync(command, argv, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...(cwd ? { cwd } : {}) });
  const ms = round1(performance.now() - t0);
  let maxRssMb: number | undefined;
  if (withTime && existsSync(rssFile)) {
    const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    if (Number.isFinite(kb)) maxRssMb = Math.round(kb / 1024);
  }
  rmSync(scratch, { recursive: true, force: true });
  return { ms, status: result.status, ...(maxRssMb !== undefined ? { maxRssMb } : {}), stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** The review's own JSON (`--format json`): stages and the new file's status. */
export function reviewJson(run: CliRun): { stages: Record<string, number>; durationMs: number; migrations: { file: string; status: string }[]; findings: unknown[] } | undefined {
  try {
    const parsed = JSON.parse(run.stdout) as { stats: { stages: Record<string, number>; durationMs: number }; migrations: { file: string; status: string }[]; findings: unknown[] };
    return { stages: parsed.stats.stages, durationMs: parsed.stats.durationMs, migrations: parsed.migrations, findings: parsed.findings };
  } catch {
    return undefined;
  }
}

/** Builds dist/ (the CLI rows run the built CLI) unless BENCH_SKIP_BUILD is set. */
export function buildCli(root: string, progress: (what: string) => void): void {
  if (process.env.BENCH_SKIP_BUILD) return;
  progress('building dist/ for the CLI rows');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
}
