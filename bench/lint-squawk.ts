// `pgpro lint` against squawk on the same files, in the same run: one process per run each, interleaved
// (squawk, pgpro with an empty cache, pgpro again on the cache that run left), so that both see the same
// load; then once more after a comment is added to the last file (the files are the bench's own copies),
// which is what a pre-commit hook meets while a migration is being written. pgpro's cold, warm and
// --no-cache outputs must be identical: the cache may only save work, never change it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, runCli, runProgram, type CliRun } from './cli.js';
import { prepareBenchHistories } from './histories.js';
import { summarize, type Repeated } from './measure.js';
import { squawkArgs, squawkBinary } from './squawk.js';
import { mb, ms, ratio, table } from './table.js';

type Timed = Repeated & { maxRssMb?: number };

export interface LintVsSquawk {
  files: number;
  /** Files per history, in the order given. */
  histories: { name: string; files: number }[];
  squawk: (Timed & { version: string; issues: number }) | { unavailable: string };
  /** pgpro lint with an empty cache directory (the first run, which also writes the cache). */
  cold?: Timed;
  /** pgpro lint again, on the cache the cold run left (a pre-commit hook's usual run). */
  warm?: Timed;
  /** pgpro lint on that cache after a comment was added to the last file (a migration being written). */
  edited?: Timed;
  /** pgpro lint --no-cache (neither reads nor writes it). */
  noCache?: Timed;
  findings?: number;
  /** Whether every warm and --no-cache run printed exactly what the cold run did. */
  sameOutput?: boolean;
  help: Timed;
  error?: string;
}

const timedOf = (runs: CliRun[]): Timed => {
  const rss = runs.map((r) => r.maxRssMb).filter((v): v is number => v !== undefined);
  return { ...summarize(runs.map((r) => r.ms)), ...(rss.length > 0 ? { maxRssMb: Math.max(...rss) } : {}) };
};

export function benchLintVsSquawk(input: {
  root: string;
  /** The built CLI, dist/cli/main.js. */
  main: string;
  files: string[];
  histories: { name: string; files: number }[];
  runs: number;
  /** A scratch directory: the cache directories and the working directory of every run. */
  workspace: string;
}): LintVsSquawk {
  const { main, files, runs, workspace } = input;
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.ANTHROPIC_API_KEY;
  const found = squawkBinary(input.root);
  const squawkRuns: CliRun[] = [];
  const cold: CliRun[] = [];
  const warm: CliRun[] = [];
  const edited: CliRun[] = [];
  const noCache: CliRun[] = [];
  const last = files.at(-1)!;
  const lastText = readFileSync(last, 'utf8');
  const lint = (args: string[], cache: string) => runCli(main, ['lint', ...args, ...files], { ...env, PGPRO_CACHE_DIR: cache }, workspace);
  const bad = (run: CliRun) => (run.status !== 0 && run.status !== 1 ? `exited with ${run.status}: ${run.stderr.slice(0, 300)}` : undefined);
  const help: CliRun[] = [];
  let error: string | undefined;
  // One untimed run of each warms the page cache and the binaries.
  if (!('reason' in found)) runProgram(found.binary, squawkArgs(files), env, workspace);
  lint(['--no-cache'], mkdtempSync(join(workspace, 'cache-')));
  for (let i = 0; i < runs && !error; i++) {
    if (!('reason' in found)) squawkRuns.push(runProgram(found.binary, squawkArgs(files), env, workspace));
    const cache = mkdtempSync(join(workspace, 'cache-'));
    cold.push(lint([], cache));
    warm.push(lint([], cache));
    writeFileSync(last, `${lastText}\n-- edited ${i}\n`);
    try {
      edited.push(lint([], cache));
    } finally {
      writeFileSync(last, lastText);
    }
    noCache.push(lint(['--no-cache'], cache));
    help.push(runCli(main, ['--help'], env, workspace));
    error = [squawkRuns.at(-1), cold.at(-1), warm.at(-1), edited.at(-1), noCache.at(-1)].map((r) => r && bad(r)).find(Boolean);
  }
  const json = lint(['--no-cache', '--format', 'json'], mkdtempSync(join(workspace, 'cache-')));
  let findings: number | undefined;
  try {
    findings = (JSON.parse(json.stdout) as { findings: unknown[] }).findings.length;
  } catch {
    error ??= `pgpro lint --format json printed no JSON: ${json.stderr.slice(0, 300)}`;
  }
  // The summary line says how long the run took; everything else must match.
  const output = (run: CliRun) => run.stdout.replace(/^(Linted .*) in [\d.,]+ m?s\b/m, '$1 in …');
  const reference = cold[0] && output(cold[0]);
  const squawk: LintVsSquawk['squawk'] =
    'reason' in found
      ? { unavailable: found.reason }
      : {
          ...timedOf(squawkRuns),
          version: found.version,
          issues: (squawkRuns[0]?.stdout ?? '').split('\n').filter((line) => /: (warning|error): /.test(line)).length,
        };
  return {
    files: files.length,
    histories: input.histories,
    squawk,
    cold: timedOf(cold),
    warm: timedOf(warm),
    edited: timedOf(edited),
    noCache: timedOf(noCache),
    ...(findings !== undefined ? { findings } : {}),
    sameOutput: [...cold, ...warm, ...edited, ...noCache].every((r) => output(r) === reference),
    help: timedOf(help),
    ...(error ? { error } : {}),
  };
}

export function printLintVsSquawk(result: LintVsSquawk): void {
  const squawk = 'medianMs' in result.squawk ? result.squawk : undefined;
  const vs = (t: Timed | undefined) => (t && squawk ? ratio(t.medianMs, squawk.medianMs) : '-');
  const row = (label: string, t: Timed | undefined, issues: number | string, compare = true) =>
    t ? [label, t.runs, ms(t.medianMs), ms(t.minMs), ms(t.maxMs), compare ? vs(t) : '', mb(t.maxRssMb), issues] : [label, '-', '-', '-', '-', '-', '-', ''];
  const rows: (string | number)[][] = [];
  if (squawk) rows.push(row(squawk.version, squawk, squawk.issues));
  else rows.push([`squawk: SKIPPED: ${(result.squawk as { unavailable: string }).unavailable}`, '', '', '', '', '', '', '']);
  rows.push(row('pgpro lint, empty cache (first run; writes it)', result.cold, result.findings ?? '-'));
  rows.push(row('pgpro lint, cache from that run (usual pre-commit run)', result.warm, result.findings ?? '-'));
  rows.push(row('pgpro lint, that cache, the last file edited', result.edited, ''));
  rows.push(row('pgpro lint --no-cache', result.noCache, result.findings ?? '-'));
  rows.push(row('pgpro --help (target ≤ 150 ms)', result.help, '', false));
  const from = result.histories.map((h) => `${h.name} ${h.files}`).join(', ');
  console.log(table(`pgpro lint vs squawk: ${result.files} files (${from}); one process per run, interleaved`, ['run', 'runs', 'median', 'min', 'max', 'vs squawk', 'peak RSS', 'issues'], rows));
  console.log(`   pgpro's outputs identical across cold, warm, edited (a comment added at the end) and --no-cache runs: ${result.sameOutput ? 'yes' : 'NO'}`);
  console.log('   (issue counts differ by design: different rule sets and defaults; wall from spawn to exit, peak RSS from /usr/bin/time)');
  if (result.error) console.log(`   FAILED: ${result.error}`);
}

/** The comparison over migration folders (each prepared as the histories table prepares it), or the generated history. */
export async function benchLintVsSquawkOver(input: { root: string; dirs: string[]; generated: string; runs: number; progress: (what: string) => void }): Promise<LintVsSquawk> {
  const { root, progress } = input;
  buildCli(root, progress);
  const workspace = mkdtempSync(join(tmpdir(), 'pgpro-bench-lint-'));
  try {
    const histories = await prepareBenchHistories(input, workspace);
    const files = histories.flatMap((h) => h.sqlFiles);
    progress(`lint vs squawk on ${files.length} files`);
    return benchLintVsSquawk({
      root,
      main: join(root, 'dist', 'cli', 'main.js'),
      files,
      histories: histories.map((h) => ({ name: h.name, files: h.sqlFiles.length })),
      runs: input.runs,
      workspace,
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}
