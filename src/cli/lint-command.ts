// `pgpro lint`: the static mode. Discovers the migrations around the named paths, lints the named
// ones with the catalog their predecessors' DDL describes, renders the result. Loads no sandbox.
import { join, resolve } from 'node:path';
import { cacheDir } from '../cache-dir.js';
import { baselineWasmOnly } from '../wasm-tiering.js';
import { quickKey, readOnce, recordingTree, RunMemo, RunStats, runKey, type MemoHit, type RenderedReport } from '../lint/run-memo.js';
import type { PgproConfig } from '../config/schema.js';
import type { ReviewResult } from '../types.js';
import type { CliArgs } from './args.js';
import { configMemo, loadCliConfig } from './config.js';
import { reportFailure } from './errors.js';
import { durationText, keptReportOf, renderCut, writeReports, type KeptReport } from './outputs.js';
import { EXIT_FINDINGS, EXIT_OK, readStdinFile, type CliIo } from './io.js';
import { lintInput, lintRoot, type LintInput } from './lint-input.js';

/** Milliseconds on a monotonic clock: `performance` loads perf_hooks on first use, ~1 ms of a memo's answer. */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Starts loading the parser now, when this run will parse something, rather than after discovery: V8
 * compiles the WASM module off the main thread, so its compile overlaps with listing and reading the
 * files and opening the lint cache (on a 2-core machine, ~a tenth of a run that lints one edited file).
 * A failure here is the lint's own to report, when it loads the parser itself.
 */
function loadParserSoon(): void {
  baselineWasmOnly();
  void import('../sql/parse.js').then(
    (parse) => parse.loadParser(),
    () => undefined,
  ).catch(() => undefined);
}

const exitCode = (conclusion: ReviewResult['conclusion']) => (conclusion === 'failure' ? EXIT_FINDINGS : EXIT_OK);

export async function runLint(args: CliArgs, io: CliIo): Promise<number> {
  try {
    // Before anything is listed or read: the memo's stats are trusted only for what changed before this.
    const since = Date.now();
    const config = await loadCliConfig(args, configMemo(args.cache, io.env));
    const stdin = await readStdinFile(args, io);
    const cache = args.cache ? join(cacheDir(io.env), 'lint') : undefined;
    const report = keptReportOf(args, io);
    // The usual pre-commit run: the same arguments, nothing changed since the last run. Answered before
    // the directories are listed, from the files' stats and the report as the last run rendered it.
    const quick = cache && !stdin ? quickKey({ config, cwd: resolve(args.cwd), paths: args.paths }) : undefined;
    const stats = new RunStats();
    let changed = false;
    // Whether this run will most likely parse: no cache at all, no memo of an earlier run, or a file whose
    // text changed since it (a run whose stats alone changed may still be answered without parsing).
    let parses = !cache;
    if (cache && quick) {
      const started = nowMs();
      const root = lintRoot(args.cwd, args.paths);
      const memo = RunMemo.open(cache, root);
      const hit = memo.quickLookup(quick, root, stats);
      if (hit === 'changed') changed = true;
      else if (hit && (await answer(hit, started, args, io, root, report))) return exitCode(hit.conclusion);
      parses ||= changed || !memo.kept;
    }
    if (parses) loadParserSoon();
    const input = await lintInput(args.cwd, args.paths, stdin);
    const started = nowMs();
    const tree = readOnce(input.tree);
    // The whole last run, when nothing it read has changed: neither discovery nor the lint cache is loaded.
    const memo = cache ? RunMemo.open(cache, input.root) : undefined;
    const key = memo && runKey({ config, files: input.files, directories: input.directories, paths: tree.paths });
    const hit = memo && !changed ? await memo.lookup(key!, tree) : undefined;
    if (hit && (await answer(hit, started, args, io, input.root, report))) {
      if (quick && input.listed) {
        try {
          memo!.restat({ quick, since, root: input.root, dirs: input.listed, stats });
        } catch {
          // The memo is only a shortcut.
        }
      }
      return exitCode(hit.conclusion);
    }
    const recorded = recordingTree(tree);
    const result = await lintRun({ ...input, tree: recorded.tree }, config, cache);
    const cut = report && (await renderCut(result, report, input.root));
    if (cut) io.stdout.write(`${cut.before}${durationText(report!, result.stats.durationMs)}${cut.after}`);
    else await writeReports(result, args, io, input.root);
    if (memo) {
      const rendered: RenderedReport[] = cut ? [{ key: report!.key, ...cut }] : [];
      // The quick lookup only where the listings vouch for the paths (no stdin, no symbolic link named).
      const run = { key: key!, since, root: input.root, dirs: input.listed ?? [], stats, ...(quick && input.listed ? { quick } : {}) };
      await recorded
        .reads()
        .then((reads) => memo.save(run, reads, result, rendered))
        .catch(() => undefined);
    }
    return exitCode(result.conclusion);
  } catch (error) {
    return reportFailure(io, error);
  }
}

/** Prints the kept run `hit` (its kept report when there is one); false when the memo could not be read. */
async function answer(hit: MemoHit, started: number, args: CliArgs, io: CliIo, root: string, report: KeptReport | undefined): Promise<boolean> {
  const kept = report && hit.rendered(report.key);
  if (kept) {
    io.stdout.write(kept.before);
    io.stdout.write(durationText(report!, Math.round(nowMs() - started)));
    io.stdout.write(kept.after);
    return true;
  }
  const result = hit.result();
  if (!result) return false;
  result.stats.durationMs = Math.round(nowMs() - started);
  await writeReports(result, args, io, root);
  return true;
}

/** Discovers the migrations of `input` and lints the named ones (through the per-file cache under `cache`). */
async function lintRun(input: LintInput, config: PgproConfig, cache: string | undefined): Promise<ReviewResult> {
  // The parser's grammar loop: V8's optimizing tier recompiling it costs more CPU than it saves in a run
  // this short (baseline only: about half the CPU over ~950 files). Set before the parser compiles; not
  // by a run answered from its memo, which compiles no WASM.
  baselineWasmOnly();
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
