// `pgpro lint`: the static mode. Discovers the migrations around the named paths, lints the named
// ones with the catalog their predecessors' DDL describes, renders the result. Loads no sandbox.
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { cacheDir } from '../cache-dir.js';
import { readOnce, recordingTree, RunMemo, runKey } from '../lint/run-memo.js';
import type { PgproConfig } from '../config/schema.js';
import type { ReviewResult } from '../types.js';
import type { CliArgs } from './args.js';
import { loadCliConfig } from './config.js';
import { reportFailure } from './errors.js';
import { writeReports } from './outputs.js';
import { EXIT_FINDINGS, EXIT_OK, readStdinFile, type CliIo } from './io.js';
import { lintInput, type LintInput } from './lint-input.js';

/**
 * The parser is a large WASM module that a lint process runs for a second or two. V8's optimizing tier
 * recompiles its hottest functions (the grammar's giant parse loop) in the background, which costs more
 * CPU than it saves in a run this short: with the baseline compiler only, parsing ~950 files took about
 * half the CPU. Set before the module is compiled; the lint command loads no other WASM (no PGlite).
 */
function baselineWasmOnly(): void {
  setFlagsFromString('--liftoff-only');
}

export async function runLint(args: CliArgs, io: CliIo): Promise<number> {
  baselineWasmOnly();
  try {
    const config = await loadCliConfig(args);
    const stdin = await readStdinFile(args, io);
    const input = await lintInput(args.cwd, args.paths, stdin);
    const started = performance.now();
    const tree = readOnce(input.tree);
    // The whole last run, when nothing it read has changed: neither discovery nor the lint cache is loaded.
    const cache = args.cache ? join(cacheDir(io.env), 'lint') : undefined;
    const memo = cache ? RunMemo.open(cache, input.root) : undefined;
    const key = memo && runKey({ config, files: input.files, directories: input.directories, paths: tree.paths });
    let result = memo && (await memo.lookup(key!, tree));
    if (result) result.stats.durationMs = Math.round(performance.now() - started);
    else {
      const recorded = recordingTree(tree);
      result = await lintRun({ ...input, tree: recorded.tree }, config, cache);
      if (memo) {
        const saved = result;
        await recorded
          .reads()
          .then((reads) => memo.save(key!, reads, saved))
          .catch(() => undefined);
      }
    }
    await writeReports(result, args, io, input.root);
    return result.conclusion === 'failure' ? EXIT_FINDINGS : EXIT_OK;
  } catch (error) {
    return reportFailure(io, error);
  }
}

/** Discovers the migrations of `input` and lints the named ones (through the per-file cache under `cache`). */
async function lintRun(input: LintInput, config: PgproConfig, cache: string | undefined): Promise<ReviewResult> {
  const [{ FileLintCache }, { lintStatic }, { loadMigrations }, { discoverOptions }] = await Promise.all([
    import('../lint/cache-file.js'),
    import('../lint/index.js'),
    import('../migrations/index.js'),
    import('../stages/discover-options.js'),
  ]);
  const loaded = await loadMigrations(input.tree, discoverOptions(config));
  const named = new Set(input.files);
  const inDirectory = (path: string) => input.directories.some((d) => d === '' || path.startsWith(`${d}/`));
  const lint = new Set<string>();
  for (const m of loaded.migrations) {
    if (named.has(m.path) || inDirectory(m.path)) lint.add(m.path);
    if (m.down && named.has(m.down.path)) lint.add(m.down.path);
  }
  const notes = [...loaded.notes];
  for (const path of input.files) {
    if (!lint.has(path)) notes.push(`${path} was named but is not a migration pgpro recognizes (see migrations.paths and migrations.convention); it was not linted.`);
  }
  const fileCache = cache ? await FileLintCache.open(cache, input.root) : undefined;
  const result = await lintStatic({ migrations: loaded.migrations, lint, config, notes, ...(fileCache ? { cache: fileCache } : {}) });
  await fileCache?.save().catch(() => undefined);
  return result;
}
