// The measured scenarios. Each runs in a child process of its own (bench/child.ts), so that its peak
// RSS is its own and a sandbox or initdb of one scenario does not inflate the next.
import { PGlite } from '@electric-sql/pglite';
import { defaultConfig } from '../src/config/parse.js';
import type { PgproConfig } from '../src/config/schema.js';
import { loadMigrations, directoryTree, memoryTree } from '../src/migrations/index.js';
import { review } from '../src/review.js';
import { lintMigrations } from '../src/rules/lib/lint.js';
import { rules as allRules } from '../src/rules/index.js';
import { createSandbox, prepareMigration, SnapshotCache, type PreparedMigration, type Sandbox } from '../src/sandbox/index.js';
import { freshClusterTarball, openPglite } from '../src/sandbox/cluster.js';
import { parseMigrationSql } from '../src/sql/parse.js';
import type { FileTree, MigrationFile, ParsedFile, ReviewResult } from '../src/types.js';
import { generateHistory } from './history.js';
import { median, repeat, round1, RssSampler, summarize, timed } from './measure.js';
import { instrument, instrumentedFactory } from './instrument.js';
import { inProcess, inProcessPooled, rawApply } from './real.js';

export interface ScenarioContext {
  /** The generated history written to disk: `${dir}/db/migrations/*.sql`. */
  dir: string;
  count: number;
  /** How many times the cheap measurements repeat. */
  runs: number;
}

interface Loaded {
  migration: MigrationFile;
  parsed: ParsedFile;
}

async function loadAndParse(files: FileTree): Promise<Loaded[]> {
  const { migrations } = await loadMigrations(files);
  return Promise.all(migrations.map(async (migration) => ({ migration, parsed: await parseMigrationSql(migration.sql, migration.path, migration.lineOffset) })));
}

function statementCount(items: readonly Loaded[]): number {
  return items.reduce((n, i) => n + i.parsed.statements.length, 0);
}

/** The review pipeline's options for the bench: explain and the agent off, so the sandbox cost shows alone. */
function benchConfig(): PgproConfig {
  const config = defaultConfig();
  config.limits['max-files'] = 10_000;
  config.explain.enabled = false;
  config.agent.enabled = false;
  return config;
}

function prepared(item: Loaded): PreparedMigration {
  return prepareMigration(item.migration.path, item.migration.inTransaction, item.parsed.statements);
}

function sandboxOptions(config = defaultConfig()) {
  return { statementTimeoutMs: config.sandbox['statement-timeout-seconds'] * 1000, memoryMb: config.sandbox['memory-mb'] };
}

function reviewSummary(result: ReviewResult) {
  const byStatus: Record<string, number> = {};
  for (const m of result.migrations) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
  return {
    durationMs: result.stats.durationMs,
    stages: result.stats.stages,
    statements: result.stats.statements,
    migrations: byStatus,
    findings: result.findings.length,
    notes: result.notes.length,
  };
}

/** 1. Discover + parse + lint from the files on disk, the way `pgpro` without a sandbox would. */
export const lint = async ({ dir, runs }: ScenarioContext) => {
  const config = defaultConfig();
  const rss = new RssSampler().start();
  const once = async () => {
    const tree = await directoryTree(dir);
    const load = await timed(() => loadMigrations(tree));
    const parse = await timed(() =>
      Promise.all(load.value.migrations.map(async (migration) => ({ migration, parsed: await parseMigrationSql(migration.sql, migration.path, migration.lineOffset) }))),
    );
    const lint = await timed(() => lintMigrations(parse.value, { config }));
    return { loadMs: load.ms, parseMs: parse.ms, lintMs: lint.ms, statements: statementCount(parse.value), findings: lint.value.length, files: parse.value.length };
  };
  // The first run in a fresh process also loads libpg-query's WASM: reported apart from the warm runs.
  const cold = await timed(once);
  const warm: Awaited<ReturnType<typeof once>>[] = [];
  const total = await repeat(runs, async () => warm.push(await once()));
  const memory = rss.stop();
  // Where lint time goes: each rule alone over the same parsed files (3 runs, median), slowest first.
  const parsed = await loadAndParse(await directoryTree(dir));
  const perRule = [];
  for (const rule of allRules) perRule.push({ rule: rule.meta.id, ms: round1((await repeat(3, () => lintMigrations(parsed, { config, rules: [rule] }))).medianMs) });
  perRule.sort((a, b) => b.ms - a.ms);
  const noRules = round1((await repeat(3, () => lintMigrations(parsed, { config, rules: [] }))).medianMs);
  return {
    files: cold.value.files,
    statements: cold.value.statements,
    findings: cold.value.findings,
    coldMs: round1(cold.ms),
    warm: total,
    stagesMedianMs: {
      load: round1(median(warm.map((w) => w.loadMs))),
      parse: round1(median(warm.map((w) => w.parseMs))),
      lint: round1(median(warm.map((w) => w.lintMs))),
    },
    statementsPerSecond: Math.round(cold.value.statements / (total.medianMs / 1000)),
    memory,
    rules: { count: allRules.length, noRulesMs: noRules, sumOfAloneMs: round1(perRule.reduce((a, r) => a + r.ms, 0)), slowest: perRule.slice(0, 5) },
  };
};

/** 3. The whole pipeline over the history as new: every statement applied with trace on. */
export const fullReview = async ({ dir }: ScenarioContext) => {
  const config = benchConfig();
  const head = await directoryTree(dir);
  const sandboxes = instrumentedFactory(createSandbox);
  const rss = new RssSampler().start();
  const run = await timed(() => review({ head }, { config, agent: 'off' }, { createSandbox: sandboxes.factory }));
  const memory = rss.stop();
  const summary = reviewSummary(run.value);
  return {
    wallMs: round1(run.ms),
    ...summary,
    sandboxes: sandboxes.report(),
    statementsPerSecond: Math.round(summary.statements / (run.ms / 1000)),
    config: { explain: false, agent: 'off', trace: config.trace.enabled },
    memory,
  };
};

/**
 * 4. The same files through the sandbox: statement by statement traced and untraced, and the fast-path
 * replay, each in a fresh sandbox (start time not counted). The traced run is the slow one and runs once.
 */
export const tracing = async ({ dir, runs }: ScenarioContext) => {
  const items = await loadAndParse(await directoryTree(dir));
  const files = items.map(prepared);
  const statements = statementCount(items);
  const cheapRuns = Math.max(1, Math.min(runs, 3));
  const rss = new RssSampler().start();
  const withSandbox = async <T>(work: (sandbox: Sandbox) => Promise<T>) => {
    const sandbox = await createSandbox(sandboxOptions());
    try {
      return await work(sandbox);
    } finally {
      await sandbox.close();
    }
  };
  const measure = (label: string, run: (sandbox: Sandbox) => Promise<{ status: { status: string } }[]>, after?: (sandbox: Sandbox, probe: ReturnType<typeof instrument>) => Promise<unknown>) =>
    withSandbox(async (sandbox) => {
      const probe = instrument(sandbox);
      const { ms, value } = await timed(() => run(sandbox));
      const failed = value.filter((r) => r.status.status !== 'applied').length;
      if (failed > 0) throw new Error(`${label}: ${failed} migrations did not apply`);
      return { ms, breakdown: probe.report(ms), extra: after ? await after(sandbox, probe) : undefined };
    });
  const applyAll = (trace: boolean, inTransaction?: boolean) => async (sandbox: Sandbox) => {
    const out = [];
    for (const file of files) {
      // CONCURRENTLY cannot run in a transaction block: those files stay in autocommit.
      const wrap = inTransaction === true && !file.statements.some((st) => /\bconcurrently\b/i.test(st.text));
      out.push(await sandbox.apply(inTransaction === undefined ? file : { ...file, inTransaction: wrap }, { trace }));
    }
    return out;
  };
  const traced = await measure('traced', applyAll(true), (sandbox, probe) => explainCapture(sandbox, probe.captureSql(), cheapRuns));
  // Inside a transaction a statement's after-state is the next one's before-state: one capture fewer
  // each (the files that can run in one: those without CONCURRENTLY).
  const tracedInTransaction = await measure('traced in transaction', applyAll(true, true));
  const untraced: Awaited<ReturnType<typeof measure>>[] = [];
  const replayed: Awaited<ReturnType<typeof measure>>[] = [];
  for (let i = 0; i < cheapRuns; i++) {
    untraced.push(await measure('untraced', applyAll(false)));
    replayed.push(await measure('replay', (sandbox) => sandbox.replay(files)));
  }
  const pick = (all: Awaited<ReturnType<typeof measure>>[]) => {
    const summary = summarize(all.map((r) => r.ms));
    const middle = all.find((r) => r.ms === summary.medianMs) ?? all[0]!;
    return { ...summary, breakdownOfMedianRun: middle.breakdown };
  };
  return {
    statements,
    files: files.length,
    traced: { ...summarize([traced.ms]), breakdown: traced.breakdown, captureQueryInPostgres: traced.extra as Awaited<ReturnType<typeof explainCapture>> },
    tracedInTransaction: summarize([tracedInTransaction.ms]),
    untraced: pick(untraced),
    replay: pick(replayed),
    memory: rss.stop(),
  };
};

/** The trace capture query against the whole replayed schema: Postgres' own planning and execution times. */
async function explainCapture(sandbox: Sandbox, sql: string | undefined, runs: number) {
  if (!sql) return undefined;
  const planning: number[] = [];
  const execution: number[] = [];
  const roundTrip: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { rows } = await sandbox.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
    const raw = rows[0]?.['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { 'Planning Time': number; 'Execution Time': number }[];
    planning.push(plan[0]!['Planning Time']);
    execution.push(plan[0]!['Execution Time']);
    roundTrip.push((await timed(() => sandbox.query(sql))).ms);
  }
  const relations = await sandbox.query<{ n: number }>('select count(*)::int as n from pg_catalog.pg_class');
  return {
    runs,
    pgClassRows: relations.rows[0]?.n,
    planningMs: round1(median(planning)),
    executionMs: round1(median(execution)),
    roundTripMs: round1(median(roundTrip)),
  };
}

/** 5. 299 migrations of history + 1 new: an empty snapshot cache (replay), then the same cache (restore). */
export const coldWarm = async ({ count, runs }: ScenarioContext) => {
  const config = benchConfig();
  const all = generateHistory(count);
  const paths = Object.keys(all).sort();
  const base = Object.fromEntries(paths.slice(0, -1).map((p) => [p, all[p]!]));
  const change = { head: memoryTree(all), base: memoryTree(base) };
  const n = Math.max(1, Math.min(runs, 3));
  const rss = new RssSampler().start();
  // Cold twice (a new empty cache each time: it is the noisiest number), then warm on the last cache.
  const coldRuns = [];
  let cache = new SnapshotCache();
  for (let i = 0; i < Math.min(n, 2); i++) {
    cache = new SnapshotCache();
    const sandboxes = instrumentedFactory(createSandbox);
    const run = await timed(() => review(change, { config, agent: 'off' }, { snapshotCache: cache, createSandbox: sandboxes.factory }));
    coldRuns.push({ wallMs: round1(run.ms), ...reviewSummary(run.value), sandbox: sandboxes.report()[0] });
  }
  const warmSandboxes = instrumentedFactory(createSandbox);
  const warmRuns: { ms: number; value: ReviewResult }[] = [];
  for (let i = 0; i < n; i++) {
    warmRuns.push(await timed(() => review(change, { config, agent: 'off' }, { snapshotCache: cache, createSandbox: warmSandboxes.factory })));
  }
  const memory = rss.stop();
  const warm = summarize(warmRuns.map((r) => r.ms));
  const cold = summarize(coldRuns.map((r) => r.wallMs));
  const restoredNote = warmRuns[0]!.value.notes.find((n) => n.startsWith('Restored')) ?? '(no snapshot restored!)';
  return {
    history: paths.length - 1,
    fresh: 1,
    cold: { ...cold, fastest: [...coldRuns].sort((a, b) => a.wallMs - b.wallMs)[0]!, all: coldRuns },
    warm: { ...warm, stages: warmRuns.map((r) => r.value.stats.stages), sandboxes: warmSandboxes.report() },
    restoredNote,
    memory,
  };
};

/** 6. Starting a Postgres: from the cached fresh-cluster tarball vs initdb in `new PGlite()`. */
export const sandboxStart = async ({ runs }: ScenarioContext) => {
  const n = Math.max(1, Math.min(runs, 3));
  // Outside the timings: the tarball is built (or read) once per process and machine.
  const tarballRead = await timed(() => freshClusterTarball());
  const rss = new RssSampler().start();
  const startStop = async (open: () => Promise<{ close(): Promise<void> }>) => {
    const all: number[] = [];
    for (let i = 0; i < n; i++) {
      const { ms, value } = await timed(open);
      all.push(ms);
      await value.close();
    }
    return summarize(all);
  };
  const tarball = await startStop(() => openPglite());
  const worker = await startStop(() => createSandbox(sandboxOptions()));
  const initdb = await startStop(async () => {
    const db = new PGlite();
    await db.waitReady;
    return db;
  });
  return { tarballBytes: (await freshClusterTarball()).byteLength, tarballFirstReadMs: round1(tarballRead.ms), tarball, worker, initdb, memory: rss.stop() };
};

// The history scenarios (bench/real.ts) take a history instead of the generated folder.
export const scenarios: Record<string, (ctx: never) => Promise<unknown>> = { lint, fullReview, tracing, coldWarm, sandboxStart, rawApply, inProcess, inProcessPooled };

export interface ScenarioResults {
  lint: Awaited<ReturnType<typeof lint>>;
  fullReview: Awaited<ReturnType<typeof fullReview>>;
  tracing: Awaited<ReturnType<typeof tracing>>;
  coldWarm: Awaited<ReturnType<typeof coldWarm>>;
  sandboxStart: Awaited<ReturnType<typeof sandboxStart>>;
  rawApply: Awaited<ReturnType<typeof rawApply>>;
  inProcess: Awaited<ReturnType<typeof inProcess>>;
  inProcessPooled: Awaited<ReturnType<typeof inProcessPooled>>;
}
