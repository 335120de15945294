import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, defaultConfig, parseConfig } from '../config/parse.js';
import type { PgproConfig } from '../config/schema.js';
import { render } from '../report/index.js';
import { review, SandboxUnavailableError } from '../review.js';
import { SnapshotCache } from '../sandbox/snapshot-cache.js';
import { cacheDir } from '../sandbox/cluster.js';
import { DirectoryAgentCache } from '../agent/index.js';
import { HELP, parseCliArgs, UsageError, type CliArgs } from './args.js';
import { GitError } from './git.js';
import { localChangeSet } from './input.js';
import { progressPrinter } from './progress.js';
import { applyFixes } from './fix.js';
import { VERSION } from '../version.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_CANNOT_RUN = 2;

/** Runs the CLI and returns its exit code; never calls process.exit itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.stderr.write(`pgpro: ${(error as Error).message}\nRun "pgpro --help" for usage.\n`);
    return EXIT_CANNOT_RUN;
  }
  if (args.command === 'help') {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  if (args.command === 'worker') return (await import('./worker.js')).runWorker(io);
  if (args.command === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  try {
    const config = withOverrides(await loadConfig(args), args, io.env);
    const { change, root } = await localChangeSet(args.cwd, args.paths, args.base);
    const progress = args.format === 'text' || io.stderr.isTTY ? progressPrinter(io.stderr) : undefined;
    const result = await review(
      change,
      { config, agent: args.agent, ...(progress ? { onProgress: progress.update } : {}) },
      {
        ...(args.cache
          ? {
              snapshotCache: new SnapshotCache({ dir: join(cacheDir(), 'snapshots') }),
              agentCache: new DirectoryAgentCache(join(cacheDir(), 'agent')),
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
    const color = args.color ?? (io.stdout.isTTY === true && !io.env.NO_COLOR);
    io.stdout.write(render(args.format, result, { color }));
    if (args.fix) {
      const fixed = await applyFixes(root, result.findings);
      io.stderr.write(fixed.length > 0 ? `pgpro: applied ${fixed.length} fixes: ${fixed.join(', ')}\n` : 'pgpro: no mechanical fixes to apply\n');
    }
    return result.conclusion === 'failure' ? EXIT_FINDINGS : EXIT_OK;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof GitError || error instanceof SandboxUnavailableError || isFileError(error)) {
      io.stderr.write(`pgpro: ${(error as Error).message}\n`);
    } else {
      io.stderr.write(`pgpro could not run: ${error instanceof Error ? error.message : String(error)}\n`);
      if (io.env.PGPRO_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    }
    return EXIT_CANNOT_RUN;
  }
}

function isFileError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR'].includes(code);
}

async function loadConfig(args: CliArgs): Promise<PgproConfig> {
  const candidates = args.config ? [resolve(args.cwd, args.config)] : [join(args.cwd, 'pgpro.yml'), join(args.cwd, '.github', 'pgpro.yml')];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (args.config) throw new UsageError(`Cannot read the config file ${args.config}: ${(error as Error).message}`);
      continue;
    }
    return parseConfig(text, file);
  }
  return defaultConfig();
}

function withOverrides(config: PgproConfig, args: CliArgs, env: NodeJS.ProcessEnv): PgproConfig {
  const url = args.sandboxUrl ?? (config.sandbox.engine === 'postgres' ? config.sandbox.url ?? env.PGPRO_SANDBOX_URL : undefined);
  return {
    ...config,
    ...(args.failOn ? { 'fail-on': args.failOn } : {}),
    sandbox: { ...config.sandbox, ...(url ? { engine: 'postgres' as const, url } : {}) },
  };
}
