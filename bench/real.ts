// Scenarios over one real history (bench/histories.ts), each in a child process of its own: the raw
// PGlite floor (one exec per file, no pgpro) and pgpro's review in one long-running process, cold and
// then warm, the way the GitHub App runs it.
import { readFile } from 'node:fs/promises';
import { parseConfig } from '../src/config/parse.js';
import type { PgproConfig } from '../src/config/schema.js';
import { directoryTree, loadMigrations } from '../src/migrations/index.js';
import { review } from '../src/review.js';
import { openPglite } from '../src/sandbox/cluster.js';
import { contribModulesFor, extensionsIn, isSupportedExtension, loadContribModules } from '../src/sandbox/extensions.js';
import { presetSetup } from '../src/sandbox/presets.js';
import { SandboxPool } from '../src/sandbox/pool.js';
import { SnapshotCache } from '../src/sandbox/snapshot-cache.js';
import { parseMigrationSql } from '../src/sql/parse.js';
import { discoverOptions } from '../src/stages/discover.js';
import type { ChangeSet, ReviewResult } from '../src/types.js';
import { pullRequestTrees } from '../scripts/corpus/tree.js';
import type { BenchHistory } from './histories.js';
import { round1, RssSampler, summarize, timed } from './measure.js';

async function historyConfig(history: BenchHistory): Promise<PgproConfig> {
  return parseConfig(await readFile(history.configFile, 'utf8'), history.configFile);
}

async function historyMigrations(history: BenchHistory, config: PgproConfig) {
  const tree = await directoryTree(history.root);
  const { migrations } = await loadMigrations(tree, discoverOptions(config));
  return { tree, migrations };
}

function setupSql(config: PgproConfig): string[] {
  return [...presetSetup(config.sandbox.preset).map((s) => s.sql), ...config.sandbox.setup.flatMap((e) => ('sql' in e ? [e.sql] : []))];
}

/**
 * The floor: a PGlite started from the same fresh-cluster tarball pgpro uses, the setup SQL, then each
 * migration's up SQL in one exec, nothing traced, nothing read back. A file that fails as a whole
 * (e.g. CONCURRENTLY inside a multi-statement string) is run statement by statement, as pgpro would.
 */
export const rawApply = async ({ history }: { history: BenchHistory }) => {
  const config = await historyConfig(history);
  const { migrations } = await historyMigrations(history, config);
  const setup = setupSql(config);
  const extensions = [...new Set([...setup, ...migrations.map((m) => m.sql)].flatMap(extensionsIn))].filter(isSupportedExtension);
  const rss = new RssSampler().start();
  const modules = await loadContribModules(contribModulesFor(extensions));
  const start = await timed(() => openPglite({ extensions: modules }));
  const db = start.value;
  const setupRun = await timed(async () => {
    for (const sql of setup) await db.exec(sql);
  });
  let failedFiles = 0;
  let splitFiles = 0;
  let statements = 0;
  const apply = await timed(async () => {
    for (const migration of migrations) {
      try {
        await db.exec(migration.sql);
      } catch {
        splitFiles++;
        await db.exec('ROLLBACK').catch(() => undefined);
        const parsed = await parseMigrationSql(migration.sql, migration.path, migration.lineOffset);
        let failed = false;
        for (const statement of parsed.statements) {
          statements++;
          await db.exec(statement.text).catch(() => (failed = true));
        }
        if (failed) failedFiles++;
      }
    }
  });
  await db.close();
  return {
    files: migrations.length,
    startMs: round1(start.ms),
    setupMs: round1(setupRun.ms),
    applyMs: round1(apply.ms),
    splitFiles,
    failedFiles,
    memory: rss.stop(),
  };
};

function newFileSummary(result: ReviewResult, path: string) {
  const status = result.migrations.find((m) => m.file === path);
  return {
    wallMs: result.stats.durationMs,
    stages: result.stats.stages,
    newFile: status?.status ?? 'missing',
    findings: result.findings.length,
    restored: result.notes.some((n) => n.startsWith('Restored')),
  };
}

/**
 * pgpro in one long-running process, as the App runs it: the pull request that adds the history's last
 * migration, its base named by a tree id. First review on an empty cache (cold), then the same review
 * again and again (warm). The cache is kept in `cacheDir` too, for the pooled scenario's process.
 */
export const inProcess = async ({ history, runs, cacheDir }: { history: BenchHistory; runs: number; cacheDir: string }) => {
  const { config, change } = await pullRequest(history);
  const cache = new SnapshotCache({ dir: cacheDir });
  const rss = new RssSampler().start();
  const cold = await timed(() => review(change, { config, agent: 'off' }, { snapshotCache: cache }));
  const warmRuns: { ms: number; value: ReviewResult }[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) warmRuns.push(await timed(() => review(change, { config, agent: 'off' }, { snapshotCache: cache })));
  const memory = rss.stop();
  return {
    cold: { ms: round1(cold.ms), ...newFileSummary(cold.value, history.newPath) },
    warm: { ...summarize(warmRuns.map((r) => r.ms)), runsDetail: warmRuns.map((r) => newFileSummary(r.value, history.newPath)) },
    memory,
  };
};

/**
 * The same review in a process with the App's sandbox pool, in a child of its own (its own time limit:
 * under load a review takes tens of seconds, and the cold, warm and pooled runs together outlasted one
 * child's limit). The cache `inProcess` left on disk is warm; the first review primes the pool, which
 * restores the next sandbox of this base between reviews.
 */
export const inProcessPooled = async ({ history, runs, cacheDir }: { history: BenchHistory; runs: number; cacheDir: string }) => {
  const { config, change } = await pullRequest(history);
  const cache = new SnapshotCache({ dir: cacheDir });
  const pool = new SandboxPool();
  const rss = new RssSampler().start();
  const pooledRuns: { ms: number; value: ReviewResult }[] = [];
  await review(change, { config, agent: 'off' }, { snapshotCache: cache, sandboxPool: pool });
  for (let i = 0; i < Math.max(1, runs); i++) {
    await pool.settled();
    pooledRuns.push(await timed(() => review(change, { config, agent: 'off' }, { snapshotCache: cache, sandboxPool: pool })));
  }
  const served = pool.stats().served;
  await pool.close();
  return {
    ...summarize(pooledRuns.map((r) => r.ms)),
    runsDetail: pooledRuns.map((r) => newFileSummary(r.value, history.newPath)),
    served,
    memory: rss.stop(),
  };
};

async function pullRequest(history: BenchHistory): Promise<{ config: PgproConfig; change: ChangeSet }> {
  const config = await historyConfig(history);
  const { tree, migrations } = await historyMigrations(history, config);
  const index = migrations.findIndex((m) => m.path === history.newPath);
  const pr = pullRequestTrees(tree, migrations, index);
  return { config, change: { head: pr.head, base: { ...pr.base, id: `bench-${history.name}-base` }, changed: pr.changed } };
}
