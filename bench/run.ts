// `npm run bench`: pgpro's costs over a generated 300-migration history and over real histories,
// printed as tables and ratios and written to bench/results/latest.json. Each scenario runs in a child
// process of its own (or is the built CLI itself), one at a time. Nothing here asserts a timing:
// machines are shared and noisy, so read the numbers with the load average printed in the header.
//
//   npm run bench                     all scenarios (the histories table over the generated history)
//   npm run bench -- lint squawk      only those (lint, squawk, lintSquawk, fullReview, tracing, coldWarm, sandboxStart, histories)
//   npm run bench -- lintSquawk <migrations dir> [more dirs…]
//                                     only the built `pgpro lint` vs squawk over all the files of those folders
//                                     (empty cache, cache from that run, --no-cache; --help), with ratios
//   npm run bench -- /work/corpus/crates-io/migrations [more dirs…]
//                                     the histories table over those migration folders, side by side:
//                                     raw PGlite apply, pgpro cold / warm (CLI and in-process), a lone
//                                     file, --help, lint vs squawk over all of them together, peak RSS
//   BENCH_RUNS=7 npm run bench        repetitions of the cheap measurements (default 5)
//   BENCH_SKIP_BUILD=1                use dist/ as it is (the CLI rows run the built CLI)
import { fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, arch, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshClusterTarball, pgliteVersion } from '../src/sandbox/cluster.js';
import { generateHistory } from './history.js';
import { benchSquawk, type SquawkResult } from './squawk.js';
import type { ScenarioContext, ScenarioResults } from './scenarios.js';
import { mb, ms, ratio, table } from './table.js';
import { benchHistories, printHistories, type HistoriesResult } from './compare.js';
import { benchLintVsSquawkOver, printLintVsSquawk, type LintVsSquawk } from './lint-squawk.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const COUNT = 300;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);
const CHILD_TIMEOUT_MS = 5 * 60_000;
const ALL = ['lint', 'squawk', 'lintSquawk', 'fullReview', 'tracing', 'coldWarm', 'sandboxStart', 'histories'] as const;
type Name = (typeof ALL)[number];

const argv = process.argv.slice(2).filter((a) => a !== '--');
const isName = (a: string) => (ALL as readonly string[]).includes(a);
// Anything that is not a scenario name and names a directory is a history to measure.
const historyDirs = argv.filter((a) => !isName(a) && existsSync(a));
const selected = argv.filter((a) => !historyDirs.includes(a));
const unknown = selected.filter((name) => !isName(name));
if (unknown.length > 0) {
  console.error(`Unknown scenario(s) or missing directories: ${unknown.join(', ')}. Known scenarios: ${ALL.join(', ')}.`);
  process.exit(2);
}
// Directories alone: just the side-by-side table over them.
const wanted = (name: Name) => (selected.length === 0 ? historyDirs.length === 0 || name === 'histories' : selected.includes(name));

export function runChild<K extends keyof ScenarioResults>(name: K, context: unknown): Promise<{ wallMs: number; result?: ScenarioResults[K]; error?: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = fork(join(ROOT, 'bench', 'child.ts'), [name], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: { ...process.env, BENCH_CONTEXT: JSON.stringify(context) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const finish = (outcome: { result?: ScenarioResults[K]; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ wallMs: performance.now() - t0, ...outcome });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ error: `timed out after ${CHILD_TIMEOUT_MS / 1000} s` });
    }, CHILD_TIMEOUT_MS);
    child.on('message', (message: { ok: boolean; result?: ScenarioResults[K]; error?: string }) =>
      finish(message.ok ? { result: message.result! } : { error: message.error ?? 'failed' }),
    );
    child.on('exit', (code) => finish({ error: `exited with ${code} before reporting` }));
  });
}

async function writeHistory(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const [path, sql] of Object.entries(generateHistory(COUNT))) {
    const file = join(dir, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, sql);
    files.push(file);
  }
  return files.sort();
}

function gitCommit(): string | undefined {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const load = () => loadavg().map((n) => n.toFixed(2)).join(' / ');
const header = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  loadAverageAtStart: loadavg(),
  pglite: pgliteVersion(),
  commit: gitCommit(),
  runs: RUNS,
};
console.log(`pgpro bench  ${header.date}  commit ${header.commit ?? '?'}`);
console.log(`node ${header.node}, ${header.platform}, ${header.cpus} CPUs (${header.cpuModel}), load avg 1/5/15 min: ${load()}`);
console.log(
  `PGlite ${header.pglite}; history: ${historyDirs.length > 0 ? historyDirs.join(', ') : `${COUNT} generated migrations`}; cheap measurements repeated ${RUNS}x (median shown)`,
);

const dir = await mkdtemp(join(tmpdir(), 'pgpro-bench-'));
const files = await writeHistory(dir);
const context: ScenarioContext = { dir, count: COUNT, runs: RUNS };
// Built once per machine (initdb); outside every timing, so that no scenario pays for it.
await freshClusterTarball();

const results: Partial<ScenarioResults> & { squawk?: SquawkResult; histories?: HistoriesResult; lintSquawk?: LintVsSquawk } = {};
const errors: Record<string, string> = {};
const childWallMs: Record<string, number> = {};
const progress = (name: string) => process.stderr.write(`… ${name} (load ${load()})\n`);

try {
  for (const name of ALL) {
    if (!wanted(name)) continue;
    progress(name);
    if (name === 'squawk') {
      results.squawk = await benchSquawk(ROOT, files, RUNS).catch((error: unknown) => ({ available: false as const, reason: String(error) }));
      continue;
    }
    if (name === 'lintSquawk') {
      try {
        results.lintSquawk = await benchLintVsSquawkOver({ root: ROOT, dirs: historyDirs, generated: dir, runs: RUNS, progress });
      } catch (error) {
        errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      }
      continue;
    }
    if (name === 'histories') {
      try {
        results.histories = await benchHistories({ root: ROOT, dirs: historyDirs, generated: dir, runs: RUNS, runChild, progress });
      } catch (error) {
        errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      }
      continue;
    }
    const outcome = await runChild(name, context);
    childWallMs[name] = Math.round(outcome.wallMs);
    if (outcome.result) (results as Record<string, unknown>)[name] = outcome.result;
    else errors[name] = outcome.error ?? 'failed';
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

print();
const out = { header: { ...header, loadAverageAtEnd: loadavg() }, results, errors, childWallMs };
await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
await writeFile(join(ROOT, 'bench', 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nload avg at the end: ${load()}.  JSON: bench/results/latest.json`);
process.exit(0);

function print(): void {
  const { lint, squawk, fullReview, tracing, coldWarm, sandboxStart, histories, lintSquawk } = results;
  for (const [name, error] of Object.entries(errors)) console.log(`\n${name}: FAILED: ${error}`);
  if (histories) printHistories(histories);
  if (lintSquawk) printLintVsSquawk(lintSquawk);

  if (lint) {
    console.log(
      table(`1. Lint-only (discover + parse + lint, in-process) — ${lint.files} files, ${lint.statements} statements, ${lint.findings} findings`, ['measure', 'value'], [
        ['first run in a fresh process (loads the parser WASM)', ms(lint.coldMs)],
        [`warm, median of ${lint.warm.runs} (min-max)`, `${ms(lint.warm.medianMs)} (${ms(lint.warm.minMs)}-${ms(lint.warm.maxMs)})`],
        ['  of which discover / parse / lint (medians)', `${ms(lint.stagesMedianMs.load)} / ${ms(lint.stagesMedianMs.parse)} / ${ms(lint.stagesMedianMs.lint)}`],
        ['statements per second (warm median)', lint.statementsPerSecond],
        ['peak RSS: 50 ms samples / OS high-water mark', `${mb(lint.memory.peakMb)} / ${mb(lint.memory.processMaxRssMb)}`],
      ]),
    );
    const r = lint.rules;
    console.log(`   lint with no rules: ${ms(r.noRulesMs)}; each of the ${r.count} rules alone, summed: ${ms(r.sumOfAloneMs)}; slowest alone (median of 3): ${r.slowest.map((x) => `${x.rule} ${ms(x.ms)}`).join(', ')}`);
    console.log('   (the lint stage is synchronous: the 50 ms sampler cannot fire during it, so the OS high-water mark is the one to read)');
  }

  if (squawk) {
    if (!squawk.available) console.log(`\n2. squawk: SKIPPED: ${squawk.reason}`);
    else {
      const rows: (string | number)[][] = [
        [`squawk binary (${squawk.version})`, squawk.binary.runs, ms(squawk.binary.medianMs), ms(squawk.binary.minMs), ms(squawk.binary.maxMs), squawk.issues],
      ];
      if (lint) {
        rows.push(['pgpro lint-only, warm (in-process)', lint.warm.runs, ms(lint.warm.medianMs), ms(lint.warm.minMs), ms(lint.warm.maxMs), lint.findings]);
        rows.push(['pgpro lint-only, first run in a process', 1, ms(lint.coldMs), '-', '-', lint.findings]);
      }
      console.log(table(`2. squawk vs pgpro lint-only, same ${files.length} files (squawk: one process per run, offline: ${squawk.offline})`, ['tool', 'runs', 'median', 'min', 'max', 'issues'], rows));
      if (lint) {
        console.log(`   ratio pgpro warm / squawk binary: ${ratio(lint.warm.medianMs, squawk.binary.medianMs)}`);
        console.log(`   ratio pgpro first run in a process / squawk binary: ${ratio(lint.coldMs, squawk.binary.medianMs)} (pgpro's Node/tsx start not counted)`);
        console.log('   (issue counts differ by design: different rule sets and defaults)');
      }
    }
  }

  if (fullReview) {
    const sandbox = fullReview.sandboxes[0];
    const stages = Object.entries(fullReview.stages).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
    const rows: (string | number)[][] = [
      ['wall time (1 run)', ms(fullReview.wallMs)],
      ['statements per second', `${fullReview.statementsPerSecond} (${fullReview.statements} statements)`],
      ['peak RSS: 50 ms samples / OS high-water mark', `${mb(fullReview.memory.peakMb)} / ${mb(fullReview.memory.processMaxRssMb)}`],
      ['migrations', Object.entries(fullReview.migrations).map(([k, v]) => `${v} ${k}`).join(', ')],
      ['findings', fullReview.findings],
      ['stages', stages],
    ];
    if (sandbox) rows.push(['sandbox start', ms(sandbox.startMs)]);
    console.log(table(`3. Full review, ${COUNT} migrations as new (no base), trace on, explain OFF, agent OFF`, ['measure', 'value'], rows));
    if (sandbox) {
      const b = sandbox.breakdown;
      console.log(`   time in sandbox calls: ${Object.entries(b.ms).map(([k, v]) => `${k} ${ms(v)} (${b.calls[k] ?? 0} calls)`).join(', ')}`);
    }
  }

  if (tracing) {
    const perStatement = (v: number) => `${(v / tracing.statements).toFixed(2)} ms`;
    const base = tracing.untraced.medianMs;
    console.log(
      table(`4. Tracing cost: ${tracing.files} files, ${tracing.statements} statements, a fresh sandbox per run (start not counted)`, ['mode', 'runs', 'median', 'per statement', 'vs untraced'], [
        ['apply, statement by statement, trace: true', tracing.traced.runs, ms(tracing.traced.medianMs), perStatement(tracing.traced.medianMs), ratio(tracing.traced.medianMs, base)],
        ['  the same, each file in one transaction', tracing.tracedInTransaction.runs, ms(tracing.tracedInTransaction.medianMs), perStatement(tracing.tracedInTransaction.medianMs), ratio(tracing.tracedInTransaction.medianMs, base)],
        ['apply, statement by statement, trace: false', tracing.untraced.runs, ms(base), perStatement(base), '1.00x'],
        ['replay (fast path: one exec per file)', tracing.replay.runs, ms(tracing.replay.medianMs), perStatement(tracing.replay.medianMs), ratio(tracing.replay.medianMs, base)],
      ]),
    );
    const b = tracing.traced.breakdown;
    const rows = Object.entries(b.ms).map(([k, v]) => [k, b.calls[k] ?? '-', ms(v), b.calls[k] ? `${(v / b.calls[k]!).toFixed(2)} ms` : '-', `${Math.round((100 * v) / tracing.traced.medianMs)}%`]);
    console.log(table('   where the traced run spends its time (calls made by the runner on the sandbox)', ['category', 'calls', 'total', 'per call', 'share'], rows));
    const u = tracing.untraced.breakdownOfMedianRun;
    console.log(`   untraced median run: ${Object.entries(u.ms).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
    if (b.captureMedianMs) {
      console.log(`   trace capture (one whole-catalog query, 2 per statement): median per decile of the run: ${b.captureMedianMs.byDecile.map((v) => `${v}`).join(' / ')} ms`);
    }
    const q = tracing.traced.captureQueryInPostgres;
    if (q) {
      console.log(
        `   the capture query on the final schema (${q.pgClassRows} pg_class rows), median of ${q.runs}: planning ${q.planningMs} ms + execution ${q.executionMs} ms inside Postgres (EXPLAIN ANALYZE), ${q.roundTripMs} ms round trip from the main thread`,
      );
    }
  }

  if (coldWarm) {
    const cold = coldWarm.cold;
    const warmSandbox = coldWarm.warm.sandboxes[0];
    const rows: (string | number)[][] = [
      [
        'cold: empty SnapshotCache (replays history, stores a snapshot), median',
        coldWarm.cold.runs,
        ms(cold.medianMs),
        ms(cold.fastest.stages.sandbox),
        ms(cold.fastest.sandbox?.startMs),
        ms(cold.fastest.sandbox?.methodsMs.replay),
        ms(cold.fastest.sandbox?.methodsMs.snapshot),
      ],
      [
        `warm: same cache (restores the snapshot), median`,
        coldWarm.warm.runs,
        ms(coldWarm.warm.medianMs),
        ms(coldWarm.warm.stages[0]?.sandbox),
        ms(warmSandbox?.startMs),
        ms(warmSandbox?.methodsMs.replay ?? 0),
        '-',
      ],
    ];
    console.log(table(`5. Cold vs warm review: ${coldWarm.history} history + ${coldWarm.fresh} new migration (base tree), explain OFF, agent OFF`, ['run', 'runs', 'wall', 'sandbox stage', 'start', 'replay', 'snapshot'], rows));
    console.log('   (start / replay / snapshot columns: the fastest cold run and the first warm run; wall: medians)');
    console.log(`   ratio cold / warm: ${ratio(cold.medianMs, coldWarm.warm.medianMs)} (sandbox stage: ${ratio(cold.fastest.stages.sandbox ?? 0, coldWarm.warm.stages[0]?.sandbox ?? 0)}); ${coldWarm.restoredNote}`);
    if (warmSandbox?.tarballBytes) console.log(`   snapshot size: ${(warmSandbox.tarballBytes / 1024 / 1024).toFixed(1)} MB gzipped; peak RSS ${mb(coldWarm.memory.peakMb)}`);
  }

  if (sandboxStart) {
    const s = sandboxStart;
    const row = (label: string, r: typeof s.tarball) => [label, r.runs, ms(r.medianMs), ms(r.minMs), ms(r.maxMs)];
    console.log(
      table(`6. Starting Postgres (fresh-cluster tarball ${(s.tarballBytes / 1024 / 1024).toFixed(1)} MB, read in ${ms(s.tarballFirstReadMs)})`, ['start', 'runs', 'median', 'min', 'max'], [
        row('openPglite(): in-process, from the tarball', s.tarball),
        row('createSandbox(): worker thread, from the tarball', s.worker),
        row('new PGlite(): in-process, initdb', s.initdb),
      ]),
    );
    console.log(`   ratio initdb / tarball: ${ratio(s.initdb.medianMs, s.tarball.medianMs)}; peak RSS ${mb(s.memory.peakMb)} (OS high-water ${mb(s.memory.processMaxRssMb)})`);
  }
}
