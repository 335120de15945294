// The side-by-side table over real histories: for each, the raw PGlite floor and pgpro cold and warm
// (the built CLI, and one long-running process as the App runs it); across all of them, a lone file,
// `--help`, and lint vs squawk on every file. Ratios are to the raw apply (plus one start) and to squawk.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freshClusterTarball, pgliteVersion, cacheDir } from '../src/sandbox/cluster.js';
import { buildCli, reviewJson, runCli, type CliRun } from './cli.js';
import { prepareBenchHistories, type BenchHistory } from './histories.js';
import { summarize, type Repeated } from './measure.js';
import type { ScenarioResults } from './scenarios.js';
import { benchLintVsSquawk, printLintVsSquawk, type LintVsSquawk } from './lint-squawk.js';
import { mb, ms, ratio, table } from './table.js';

type RunChild = <K extends keyof ScenarioResults>(name: K, context: unknown) => Promise<{ wallMs: number; result?: ScenarioResults[K]; error?: string }>;

interface CliSample {
  ms: number;
  maxRssMb?: number;
  status: number | null;
  stages?: Record<string, number>;
  newFile?: string;
  error?: string;
}

export interface HistoryRow {
  history: Omit<BenchHistory, 'sqlFiles'> & { sqlFiles: number };
  raw?: ScenarioResults['rawApply'];
  rawError?: string;
  cliCold?: CliSample;
  cliWarm?: Repeated & { samples: CliSample[] };
  inProcess?: ScenarioResults['inProcess'];
  inProcessError?: string;
  pooled?: ScenarioResults['inProcessPooled'];
  pooledError?: string;
}

export interface HistoriesResult {
  histories: HistoryRow[];
  help: Repeated;
  lone: Repeated & { samples: CliSample[] };
  lintVsSquawk: LintVsSquawk;
}

const LONE = `CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL
);
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE accounts ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
`;

function sample(run: CliRun, newPath?: string): CliSample {
  const json = reviewJson(run);
  const ok = run.status === 0 || run.status === 1;
  return {
    ms: run.ms,
    status: run.status,
    ...(run.maxRssMb !== undefined ? { maxRssMb: run.maxRssMb } : {}),
    ...(json ? { stages: json.stages } : {}),
    ...(json && newPath ? { newFile: json.migrations.find((m) => m.file === newPath)?.status ?? 'missing' } : {}),
    ...(ok ? {} : { error: run.stderr.slice(0, 500) }),
  };
}

function repeated(samples: CliSample[]): Repeated & { samples: CliSample[] } {
  return { ...summarize(samples.map((s) => s.ms)), samples };
}

/** A cache directory holding only the fresh-cluster tarball: no initdb, no snapshot. */
async function emptyCache(dir: string): Promise<string> {
  await freshClusterTarball();
  mkdirSync(dir, { recursive: true });
  const name = `pglite-${pgliteVersion()}-fresh.tar.gz`;
  copyFileSync(join(cacheDir(), name), join(dir, name));
  return dir;
}

export async function benchHistories(input: {
  root: string;
  dirs: string[];
  /** The generated history's folder, measured when no directory is named. */
  generated: string;
  runs: number;
  runChild: RunChild;
  progress: (what: string) => void;
}): Promise<HistoriesResult> {
  const { root, runs, runChild, progress } = input;
  buildCli(root, progress);
  const main = join(root, 'dist', 'cli', 'main.js');
  const workspace = mkdtempSync(join(tmpdir(), 'pgpro-bench-histories-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.ANTHROPIC_API_KEY;
  const cliRuns = Math.max(1, Math.min(runs, 3));
  try {
    const histories = await prepareBenchHistories(input, workspace);
    const names = new Set<string>();
    for (const h of histories) {
      if (names.has(h.name)) throw new Error(`two histories are named ${h.name}: name distinct folders`);
      names.add(h.name);
    }

    const rows: HistoryRow[] = [];
    for (const history of histories) {
      const row: HistoryRow = { history: { ...history, sqlFiles: history.sqlFiles.length } };
      progress(`${history.name}: raw PGlite apply`);
      const raw = await runChild('rawApply', { history });
      if (raw.result) row.raw = raw.result;
      else row.rawError = raw.error ?? 'failed';

      const cache = await emptyCache(join(workspace, history.name, 'cache'));
      const review = () =>
        runCli(main, ['review', '--cwd', history.root, '--config', history.configFile, '--format', 'json', '--no-agent', '--fail-on', 'none', history.newPath], {
          ...env,
          PGPRO_CACHE_DIR: cache,
        });
      progress(`${history.name}: pgpro CLI cold`);
      row.cliCold = sample(review(), history.newPath);
      progress(`${history.name}: pgpro CLI warm x${cliRuns}`);
      const warm: CliSample[] = [];
      for (let i = 0; i < cliRuns; i++) warm.push(sample(review(), history.newPath));
      row.cliWarm = repeated(warm);

      progress(`${history.name}: pgpro in one process, cold then warm x${cliRuns}`);
      const cacheDir = join(workspace, history.name, 'in-process-cache');
      const inProcess = await runChild('inProcess', { history, runs: cliRuns, cacheDir });
      if (inProcess.result) row.inProcess = inProcess.result;
      else row.inProcessError = inProcess.error ?? 'failed';
      progress(`${history.name}: pgpro in one process with the App's sandbox pool x${cliRuns}`);
      const pooled = await runChild('inProcessPooled', { history, runs: cliRuns, cacheDir });
      if (pooled.result) row.pooled = pooled.result;
      else row.pooledError = pooled.error ?? 'failed';
      rows.push(row);
    }

    progress('lone file, --help');
    const lone = join(workspace, 'lone');
    mkdirSync(join(lone, 'db', 'migrations'), { recursive: true });
    writeFileSync(join(lone, 'db', 'migrations', '0001_accounts.sql'), LONE);
    const loneCache = await emptyCache(join(workspace, 'lone-cache'));
    const loneSamples: CliSample[] = [];
    for (let i = 0; i < cliRuns; i++) {
      loneSamples.push(
        sample(
          runCli(main, ['review', '--cwd', lone, '--format', 'json', '--no-agent', '--fail-on', 'none', 'db/migrations/0001_accounts.sql'], { ...env, PGPRO_CACHE_DIR: loneCache }),
          'db/migrations/0001_accounts.sql',
        ),
      );
    }
    const helpRuns: number[] = [];
    for (let i = 0; i < runs; i++) helpRuns.push(runCli(main, ['--help'], env).ms);

    const files = histories.flatMap((h) => h.sqlFiles);
    progress(`lint vs squawk on ${files.length} files`);
    const lintVsSquawk = benchLintVsSquawk({
      root,
      main,
      files,
      histories: histories.map((h) => ({ name: h.name, files: h.sqlFiles.length })),
      runs,
      workspace,
    });
    return { histories: rows, help: summarize(helpRuns), lone: repeated(loneSamples), lintVsSquawk };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

const stagesText = (stages: Record<string, number> | undefined) =>
  stages ? Object.entries(stages).filter(([, v]) => v >= 20).map(([k, v]) => `${k} ${ms(v)}`).join(', ') : '';

export function printHistories(result: HistoriesResult): void {
  const targets: (string | number)[][] = [];
  for (const row of result.histories) {
    const h = row.history;
    const floor = row.raw ? row.raw.startMs + row.raw.setupMs + row.raw.applyMs : undefined;
    const vsRaw = (value: number | undefined) => (floor && value !== undefined ? ratio(value, floor) : '-');
    const warmInProcess = row.inProcess?.warm;
    const rows: (string | number)[][] = [];
    if (row.raw) {
      const r = row.raw;
      rows.push([`raw PGlite: apply ${r.files} files, one exec per file`, ms(r.applyMs), '-', mb(r.memory.processMaxRssMb), `${r.splitFiles} split into statements, ${r.failedFiles} failed`]);
      rows.push(['raw PGlite: start (fresh-cluster tarball) + setup SQL', ms(r.startMs + r.setupMs), '-', '', '']);
      rows.push(['raw PGlite: apply + start (the floor)', ms(floor), '1.00x', '', '']);
    } else {
      rows.push(['raw PGlite apply', `FAILED: ${row.rawError?.split('\n')[0]}`, '', '', '']);
    }
    const cli = (label: string, s: CliSample | undefined) =>
      s ? [label, ms(s.ms), vsRaw(s.ms), mb(s.maxRssMb), s.error ? `FAILED: ${s.error.split('\n')[0]}` : `new file ${s.newFile}; ${stagesText(s.stages)}`] : [label, '-', '-', '-', ''];
    rows.push(cli('pgpro cold, CLI (empty cache)', row.cliCold));
    if (row.cliWarm) {
      const first = row.cliWarm.samples[0];
      rows.push([
        `pgpro warm, CLI (snapshot cached on disk), median of ${row.cliWarm.runs}`,
        ms(row.cliWarm.medianMs),
        vsRaw(row.cliWarm.medianMs),
        mb(Math.max(...row.cliWarm.samples.map((s) => s.maxRssMb ?? 0)) || undefined),
        first?.error ? `FAILED: ${first.error.split('\n')[0]}` : `new file ${first?.newFile}; ${stagesText(first?.stages)}`,
      ]);
    }
    if (row.inProcess) {
      const p = row.inProcess;
      rows.push(['pgpro cold, in one process (App), empty cache', ms(p.cold.ms), vsRaw(p.cold.ms), '', `new file ${p.cold.newFile}; ${stagesText(p.cold.stages)}`]);
      const w = p.warm.runsDetail.at(-1);
      rows.push([
        `pgpro warm, same process, restoring, median of ${p.warm.runs}`,
        ms(p.warm.medianMs),
        vsRaw(p.warm.medianMs),
        mb(p.memory.processMaxRssMb),
        `new file ${w?.newFile}; ${stagesText(w?.stages)}`,
      ]);
    } else {
      rows.push(['pgpro in one process', `FAILED: ${row.inProcessError?.split('\n')[0]}`, '', '', '']);
    }
    if (row.pooled) {
      const pooled = row.pooled;
      const last = pooled.runsDetail.at(-1);
      rows.push([
        `pgpro warm, same process with its sandbox pool (App), median of ${pooled.runs}`,
        ms(pooled.medianMs),
        vsRaw(pooled.medianMs),
        mb(pooled.memory.processMaxRssMb),
        `new file ${last?.newFile}; ${pooled.served} of ${pooled.runs} served by the pool; ${stagesText(last?.stages)}`,
      ]);
    } else {
      rows.push(['pgpro with its sandbox pool (App)', `FAILED: ${row.pooledError?.split('\n')[0]}`, '', '', '']);
    }
    console.log(table(`Real history: ${h.name} (${h.migrations} migrations, ${basename(h.source)}); new file ${h.newPath}`, ['measure', 'wall', 'vs floor', 'peak RSS', 'detail'], rows));
    targets.push([`${h.name}: warm review, CLI`, '≤ 1.5 s', ms(row.cliWarm?.medianMs)]);
    const appWarm = row.pooled ?? warmInProcess;
    targets.push([`${h.name}: warm review, App process`, '≤ 0.5 s', ms(appWarm?.medianMs)]);
    targets.push([`${h.name}: cold review, CLI`, '≤ 1.50x floor', vsRaw(row.cliCold?.ms)]);
    const peaks = [row.cliCold?.maxRssMb, ...(row.cliWarm?.samples.map((s) => s.maxRssMb) ?? [])].filter((v): v is number => v !== undefined);
    targets.push([`${h.name}: peak RSS of a CLI review`, '≤ 600 MB', peaks.length > 0 ? mb(Math.max(...peaks)) : '-']);
  }

  const first = result.lone.samples[0];
  const common: (string | number)[][] = [
    [`lone 3-statement file, CLI, median of ${result.lone.runs}`, ms(result.lone.medianMs), '', mb(first?.maxRssMb), first?.error ? `FAILED: ${first.error.split('\n')[0]}` : stagesText(first?.stages)],
    [`pgpro --help, median of ${result.help.runs}`, ms(result.help.medianMs), '', '', ''],
  ];
  console.log(table('Across the histories', ['measure', 'wall', 'vs squawk', 'peak RSS', 'detail'], common));
  printLintVsSquawk(result.lintVsSquawk);
  targets.push(['lone file, CLI', '≤ 1.5 s', ms(result.lone.medianMs)]);
  targets.push(['pgpro --help', '≤ 0.15 s', ms(result.help.medianMs)]);
  const { squawk, cold, warm } = result.lintVsSquawk;
  if ('medianMs' in squawk) {
    if (warm) targets.push(['pgpro lint vs squawk (cache from the previous run)', '≤ 1.00x', ratio(warm.medianMs, squawk.medianMs)]);
    if (cold) targets.push(['pgpro lint vs squawk (empty cache)', '≤ 1.00x', ratio(cold.medianMs, squawk.medianMs)]);
  }
  console.log(table('Targets (issue 14; read with the load average)', ['measure', 'target', 'measured'], targets));
  console.log(`   (CLI rows: ${basename(process.execPath)} dist/cli/main.js, one process per run, wall from spawn to exit; peak RSS from /usr/bin/time)`);
}
