// `pgpro review`: builds the change from the command line, runs the review, renders it, applies --fix.
import { join } from 'node:path';
import { baselineWasmOnly, restoreDefaultWasmTiering } from '../wasm-tiering.js';
import { DirectoryAgentCache } from '../agent/cache.js';
import { review } from '../review.js';
import { cacheDir } from '../sandbox/cluster.js';
import { SnapshotCache } from '../sandbox/snapshot-cache.js';
import { ParseCache } from '../sql/parse-cache.js';
import { replenishSpareSandboxWorker } from '../sandbox/worker-client.js';
import { pgliteWasmModule } from '../sandbox/wasm-module.js';
import { lockTimeAtProductionSize } from '../rehearsal/sizes.js';
import type { PgproConfig } from '../config/schema.js';
import type { ChangeSet, ReviewResult } from '../types.js';
import type { CliArgs } from './args.js';
import { configMemo, loadCliConfig } from './config.js';
import { coreToSpare } from './spare-core.js';
import { reportFailure } from './errors.js';
import { writeReports } from './outputs.js';
import { fixDiff, fixUntilStable, writeFixedFiles } from './fix.js';
import { localChangeSet } from './input.js';
import { EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, readStdinFile, type CliIo } from './io.js';
import { progressPrinter } from './progress.js';

export async function runReview(args: CliArgs, io: CliIo): Promise<number> {
  try {
    const { result, root, change, again } = await reviewFromArgs(args, io);
    // With --dry-run, stdout is the diff alone.
    if (!args.dryRun) await writeReports(result, args, io, root);
    if (args.fix) {
      const run = await fixUntilStable(change, result, again);
      const list = `${run.applied.length} proven ${run.applied.length === 1 ? 'fix' : 'fixes'}: ${run.applied.join(', ')}`;
      if (args.dryRun) {
        io.stdout.write(fixDiff(run.files));
        io.stderr.write(run.applied.length > 0 ? `pgpro: --dry-run: would apply ${list}; nothing written\n` : 'pgpro: no proven fixes to apply\n');
      } else {
        await writeFixedFiles(root, run.files);
        io.stderr.write(run.applied.length > 0 ? `pgpro: applied ${list}\n` : 'pgpro: no proven fixes to apply\n');
      }
    }
    const unreviewed = nothingReviewed(result);
    if (unreviewed) {
      io.stderr.write(`pgpro: not reviewed: ${unreviewed}\n`);
      return EXIT_CANNOT_RUN;
    }
    return result.conclusion === 'failure' ? EXIT_FINDINGS : EXIT_OK;
  } catch (error) {
    return reportFailure(io, error);
  }
}

/** Why nothing new was applied and observed (exit 2: the tool could not do its job), or undefined. */
function nothingReviewed(result: ReviewResult): string | undefined {
  if (result.migrations.length === 0) return 'no migrations were found (see migrations.paths and migrations.convention).';
  const fresh = result.stats.migrationsNew;
  const left = result.notReviewed ?? [];
  if (fresh === 0 || left.length < fresh) return undefined;
  const first = left[0]!;
  return `none of the ${fresh === 1 ? 'new migration' : `${fresh} new migrations`} was applied in the sandbox (${first.file}: ${first.message}).`;
}

/**
 * The review the arguments ask for, the directory its paths are relative to, the change, and how to
 * review a changed version of it again (--fix's later passes: the same settings, Claude not asked).
 */
export async function reviewFromArgs(
  args: CliArgs,
  io: CliIo,
): Promise<{ result: ReviewResult; root: string; change: ChangeSet; again: (next: ChangeSet) => Promise<ReviewResult> }> {
  const config = withSandboxUrl(await loadCliConfig(args, configMemo(args.cache, io.env)), args, io.env);
  chooseWasmTier(config, io.env);
  // The fix proofs' sandbox is opened while the review runs (proofSandboxAhead), when the other
  // processes leave a core for it: its worker loads while the first sandbox starts.
  const ahead = config.sandbox.engine === 'pglite' && coreToSpare();
  if (ahead) replenishSpareSandboxWorker(config.sandbox['memory-mb']);
  const { change, root } = await localChangeSet(args.cwd, args.paths, args.base, await readStdinFile(args, io));
  const progress = args.format === 'text' || io.stderr.isTTY ? progressPrinter(io.stderr) : undefined;
  const deps = {
    ...(args.cache
      ? {
          snapshotCache: new SnapshotCache({ dir: join(cacheDir(io.env), 'snapshots') }),
          parseCache: new ParseCache(join(cacheDir(io.env), 'parsed')),
          agentCache: new DirectoryAgentCache(join(cacheDir(io.env), 'agent')),
        }
      : {}),
    env: io.env,
    proofSandboxAhead: ahead,
  };
  const result = await review(change, { config, agent: args.agent, ...(progress ? { onProgress: progress.update } : {}) }, deps);
  progress?.done();
  // Files named on the command line that discovery did not take as migrations: say so, or a typo'd
  // convention would pass silently as "No new migrations to review".
  const reviewed = new Set(result.migrations.map((m) => m.file));
  for (const path of change.changed ?? []) {
    if (!reviewed.has(path)) result.notes.push(`${path} was named but is not a migration pgpro recognizes (see migrations.paths and migrations.convention); it was not reviewed.`);
  }
  return { result, root, change, again: (next) => review(next, { config, agent: 'off' }, deps) };
}

/**
 * A CLI review is one short process: V8's optimizing tier recompiles PGlite's hottest functions in the
 * background, which costs more CPU than it saves in a run of seconds (measured: a third of a warm
 * review's CPU, and ~100 MB of peak RSS). With the baseline compiler only, Postgres runs each statement
 * somewhat slower, which matters only where the review times statements on large tables: the lock-time
 * rehearsal, when production sizes are given. Such a review keeps the optimizing tier. Set before
 * PGlite's WASM is compiled (then compiled here, while the change is read); the App never sets it.
 */
function chooseWasmTier(config: PgproConfig, env: NodeJS.ProcessEnv): void {
  if (config.sandbox.engine === 'postgres') return;
  if (!lockTimeAtProductionSize(config, env)) baselineWasmOnly();
  // Its timings are reported: optimized as V8 usually does from the start, not only from the rehearsal on
  // (functions tiering up during its first measurements bent the fitted growth: the demo's index build
  // estimate ranged up to 47-70 s where it reads 15-18 s).
  else restoreDefaultWasmTiering();
  pgliteWasmModule().catch(() => undefined);
}

function withSandboxUrl(config: PgproConfig, args: CliArgs, env: NodeJS.ProcessEnv): PgproConfig {
  const url = args.sandboxUrl ?? (config.sandbox.engine === 'postgres' ? config.sandbox.url ?? env.PGPRO_SANDBOX_URL : undefined);
  return {
    ...config,
    sandbox: { ...config.sandbox, ...(url ? { engine: 'postgres' as const, url } : {}) },
    ...(args.statsUrl ? { rehearsal: { ...config.rehearsal, 'stats-url': args.statsUrl } } : {}),
  };
}
