// `pgpro lint`: the static mode. Discovers the migrations around the named paths, lints the named
// ones with the catalog their predecessors' DDL describes, renders the result. Loads no sandbox.
import { join, resolve } from 'node:path';
import { cacheDir } from '../cache-dir.js';
import { baselineWasmOnly } from '../wasm-tiering.js';
import { quickKey, readOnce, recordingTree, RunMemo, RunStats, runKey, type MemoHit, type RenderedReport } from '../lint/run-memo.js';
import type { PgproConfig } from '../config/schema.js';
import type { ReviewResult } from '../types.js';
import type { LoadedMigrations } from '../migrations/index.js';
import type { EditState } from '../lint/edit.js';
import type { CliArgs } from './args.js';
import { configMemo, loadCliConfig } from './config.js';
import { reportFailure } from './errors.js';
import { DURATION_MARK, durationText, keptReportOf, renderCut, writeReports, type KeptReport } from './outputs.js';
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
      const hit = memo.quickChanges(quick, root, stats);
      if (hit && 'changed' in hit) {
        changed = true;
        // One migration changed (the usual run while one is being written): linted alone, when it can be.
        if (report?.format === 'text') {
          loadParserSoon();
          const conclusion = await answerEdited({ memo, changed: hit.changed, quick, since, stats, root, cache, config, report, io, started });
          if (conclusion !== undefined) return exitCode(conclusion);
        }
      } else if (hit && (await answer(hit, started, args, io, root, report))) return exitCode(hit.conclusion);
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
    const { result, edit } = await lintRun({ ...input, tree: recorded.tree }, config, cache);
    // A text report kept in parts, with what a run that finds one file changed needs (src/lint/edit.ts).
    const quickly = quick !== undefined && input.listed !== undefined;
    const parts = report?.format === 'text' && quickly && edit ? await keptInParts(result, report, edit) : undefined;
    const cut = parts ?? (report && (await renderCut(result, report, input.root)));
    if (cut) io.stdout.write(`${cut.before}${durationText(report!, result.stats.durationMs)}${cut.after}`);
    else await writeReports(result, args, io, input.root);
    if (memo) {
      const rendered: RenderedReport[] = cut ? [{ key: report!.key, before: cut.before, after: cut.after }] : [];
      // The quick lookup only where the listings vouch for the paths (no stdin, no symbolic link named).
      const run = { key: key!, since, root: input.root, dirs: input.listed ?? [], stats, ...(quickly ? { quick } : {}) };
      const state = parts?.state;
      await recorded
        .reads()
        .then((reads) => memo.save(run, reads, result, rendered, state && ((id) => ({ ...state, id }))))
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

/** What a full run leaves for the edit state of its report (see src/lint/edit.ts). */
interface EditBasis {
  loaded: Pick<LoadedMigrations, 'migrations' | 'loadedFrom'>;
  lint: ReadonlySet<string>;
  chain: readonly string[];
  cache: { hasCatalog(key: string): boolean; catalogDigest(key: string): string | undefined };
}

/** Discovers the migrations of `input` and lints the named ones (through the per-file cache under `cache`). */
async function lintRun(input: LintInput, config: PgproConfig, cache: string | undefined): Promise<{ result: ReviewResult; edit?: EditBasis }> {
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
  let chain: readonly string[] | undefined;
  const result = await lintStatic({ migrations: loaded.migrations, lint, config, notes, ...(fileCache ? { cache: fileCache } : {}), onChain: (c) => (chain = c) });
  await fileCache?.save().catch(() => undefined);
  return { result, ...(fileCache && chain ? { edit: { loaded, lint, chain, cache: fileCache } } : {}) };
}

/** The text report of a full run in parts, cut at the duration, with the edit state that goes with it. */
async function keptInParts(result: ReviewResult, report: KeptReport, basis: EditBasis) {
  const { editStateOf, textReportInParts } = await import('../lint/edit.js');
  const parts = textReportInParts(result, report.color, { ms: DURATION_MARK, text: durationText(report, DURATION_MARK) });
  if (!parts) return undefined;
  const state = editStateOf({ result, ...basis, report, sections: parts.sections });
  return { before: parts.before, after: parts.after, ...(state ? { state } : {}) };
}

/**
 * Answers a run where files changed since the kept run by linting them alone (src/lint/edit.ts): the
 * conclusion when it printed the report, undefined when the full run must answer.
 */
async function answerEdited(run: {
  memo: RunMemo;
  changed: Map<string, string>;
  quick: string;
  since: number;
  stats: RunStats;
  root: string;
  cache: string;
  config: PgproConfig;
  report: KeptReport;
  io: CliIo;
  started: number;
}): Promise<ReviewResult['conclusion'] | undefined> {
  const { memo, report } = run;
  try {
    const { lintEdited } = await import('../lint/edit.js');
    const state = memo.editState<EditState>();
    const kept = memo.renderedOf(report.key);
    const known = memo.readPaths();
    if (!state || state.report !== report.key || !kept || !known) return undefined;
    const mark = { ms: DURATION_MARK, text: durationText(report, DURATION_MARK) };
    const edited = await lintEdited({ state, changed: run.changed, root: run.root, config: run.config, cacheDir: run.cache, known, kept, mark });
    if (!edited) return undefined;
    for (const piece of edited.before) run.io.stdout.write(piece);
    run.io.stdout.write(durationText(report, Math.round(nowMs() - run.started)));
    run.io.stdout.write(edited.after);
    try {
      memo.saveEdited(run, run.changed, edited.conclusion, { key: report.key, before: edited.before, after: edited.after }, (id) => ({ ...edited.state, id }));
    } catch {
      // The memo is only a shortcut.
    }
    return edited.conclusion;
  } catch {
    return undefined;
  }
}
