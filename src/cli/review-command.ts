// `pgpro review`: builds the change from the command line, runs the review, renders it, applies --fix.
import { join } from 'node:path';
import { DirectoryAgentCache } from '../agent/index.js';
import { review } from '../review.js';
import { cacheDir } from '../sandbox/cluster.js';
import { SnapshotCache } from '../sandbox/snapshot-cache.js';
import type { PgproConfig } from '../config/schema.js';
import type { ReviewResult } from '../types.js';
import type { CliArgs } from './args.js';
import { loadCliConfig } from './config.js';
import { reportFailure } from './errors.js';
import { writeReports } from './outputs.js';
import { applyFixes } from './fix.js';
import { localChangeSet } from './input.js';
import { EXIT_FINDINGS, EXIT_OK, type CliIo } from './io.js';
import { progressPrinter } from './progress.js';

export async function runReview(args: CliArgs, io: CliIo): Promise<number> {
  try {
    const { result, root } = await reviewFromArgs(args, io);
    await writeReports(result, args, io, root);
    if (args.fix) {
      const fixed = await applyFixes(root, result.findings);
      io.stderr.write(fixed.length > 0 ? `pgpro: applied ${fixed.length} fixes: ${fixed.join(', ')}\n` : 'pgpro: no mechanical fixes to apply\n');
    }
    return result.conclusion === 'failure' ? EXIT_FINDINGS : EXIT_OK;
  } catch (error) {
    return reportFailure(io, error);
  }
}

/** The review the arguments ask for, and the directory its paths are relative to. */
export async function reviewFromArgs(args: CliArgs, io: CliIo): Promise<{ result: ReviewResult; root: string }> {
  const config = withSandboxUrl(await loadCliConfig(args), args, io.env);
  const { change, root } = await localChangeSet(args.cwd, args.paths, args.base);
  const progress = args.format === 'text' || io.stderr.isTTY ? progressPrinter(io.stderr) : undefined;
  const result = await review(
    change,
    { config, agent: args.agent, ...(progress ? { onProgress: progress.update } : {}) },
    {
      ...(args.cache
        ? {
            snapshotCache: new SnapshotCache({ dir: join(cacheDir(io.env), 'snapshots') }),
            agentCache: new DirectoryAgentCache(join(cacheDir(io.env), 'agent')),
          }
        : {}),
      env: io.env,
    },
  );
  progress?.done();
  // Files named on the command line that discovery did not take as migrations: say so, or a typo'd
  // convention would pass silently as "No new migrations to review".
  const reviewed = new Set(result.migrations.map((m) => m.file));
  for (const path of change.changed ?? []) {
    if (!reviewed.has(path)) result.notes.push(`${path} was named but is not a migration pgpro recognizes (see migrations.paths and migrations.convention); it was not reviewed.`);
  }
  return { result, root };
}

function withSandboxUrl(config: PgproConfig, args: CliArgs, env: NodeJS.ProcessEnv): PgproConfig {
  const url = args.sandboxUrl ?? (config.sandbox.engine === 'postgres' ? config.sandbox.url ?? env.PGPRO_SANDBOX_URL : undefined);
  return { ...config, sandbox: { ...config.sandbox, ...(url ? { engine: 'postgres' as const, url } : {}) } };
}
