// The work of the static mode: parse the migrations in order, lint the selected ones on the catalog of the
// files before them, settle each file's findings. Loaded only when some file is not in the lint cache:
// it brings the parser (WASM) and the rules.
import type { PgproConfig } from '../config/schema.js';
import { settleFindings } from '../hazards/index.js';
import { lintMigrations } from '../rules/lib/lint.js';
import { loadParser, parseMigrationSqlSync } from '../sql/parse.js';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Finding, MigrationFile, ParsedFile } from '../types.js';
import { StaticCatalog, type StaticCatalogData } from './static-catalog.js';

/** One linted file: its settled findings and statement count. */
export interface LintedFile {
  findings: Finding[];
  statements: number;
}

/** A file to lint: a migration, or the down file of the migration before it (linted after its up). */
export interface LintTarget {
  migration: MigrationFile;
  /** Index of the migration in apply order whose state the file is linted on (after it, for a down file). */
  after: number;
}

/** The catalog after the migration at `position` (0-based; -1 for the empty catalog before the first). */
export interface CatalogAt {
  position: number;
  catalog: StaticCatalogData;
}

/**
 * Lints `targets` (in apply order) on the catalog that `migrations` before each build. Reads no migration
 * beyond the last target. With `from`, starts from that catalog instead of replaying the migrations up to
 * its position (every target must come after it); with `keep`, also returns the catalog after the
 * migration at that position.
 */
export async function lintTargets(
  migrations: readonly MigrationFile[],
  targets: readonly LintTarget[],
  config: PgproConfig,
  options: { from?: CatalogAt; keep?: number; parallel?: boolean } = {},
): Promise<{ linted: Map<string, LintedFile>; kept?: CatalogAt }> {
  const split = options.parallel ? splitTargets(migrations, targets, options.from) : undefined;
  const entry = split && workerEntry();
  if (split && entry) return lintInTwo(entry, migrations, split, config, options);
  await loadParser();
  return lintSerially(migrations, targets, config, options);
}

function lintSerially(
  migrations: readonly MigrationFile[],
  targets: readonly LintTarget[],
  config: PgproConfig,
  options: { from?: CatalogAt; keep?: number },
): { linted: Map<string, LintedFile>; kept?: CatalogAt } {
  const { from, keep } = options;
  const catalog = from ? StaticCatalog.from(from.catalog) : new StaticCatalog();
  let kept: CatalogAt | undefined = keep !== undefined && from?.position === keep ? from : undefined;
  const out = new Map<string, LintedFile>();
  const byPosition = new Map<number, LintTarget[]>();
  for (const target of targets) byPosition.set(target.after, [...(byPosition.get(target.after) ?? []), target]);
  const lintOne = (migration: MigrationFile, parsed: ParsedFile) => {
    const findings = [...parsed.errors, ...lintMigrations([{ migration, parsed }], { config, catalog })];
    out.set(migration.path, { findings: settleFindings(findings, { files: [parsed], config }), statements: parsed.statements.length });
  };
  const last = Math.max(-1, ...targets.map((t) => t.after));
  for (let i = from ? from.position + 1 : 0; i <= last; i++) {
    const migration = migrations[i]!;
    const here = byPosition.get(i) ?? [];
    const own = here.find((t) => t.migration === migration);
    const parsed = parseMigrationSqlSync(migration.sql, migration.path, migration.lineOffset);
    if (own) lintOne(migration, parsed);
    for (const statement of parsed.statements) catalog.apply(statement.ast);
    if (i === keep) kept = { position: i, catalog: catalog.data() };
    for (const down of here.filter((t) => t.migration !== migration)) {
      lintOne(down.migration, parseMigrationSqlSync(down.migration.sql, down.migration.path, down.migration.lineOffset));
    }
  }
  return { linted: out, ...(kept ? { kept } : {}) };
}

/**
 * Below this much SQL to lint (characters), one thread does it all: a second thread starts by loading the
 * parser and the rules again (about as long as linting this much), which a small run never wins back.
 */
export const PARALLEL_MIN_CHARS = 150_000;

/** Of the work of a file, the share that is parsing it and applying its DDL to the catalog (the rest is linting it). */
const REPLAY_SHARE = 0.3;
/** The second thread's start, in characters of SQL linted meanwhile. */
const START_CHARS = 60_000;

/** Targets for this thread (the earlier files) and for a second one, which replays the files before its first. */
export interface Split {
  here: LintTarget[];
  there: LintTarget[];
}

/**
 * Splits the targets where both threads finish together: this one lints the files up to the cut; the
 * other starts (START_CHARS), replays those same files without linting them (REPLAY_SHARE of their cost)
 * and lints the rest. Undefined when the run is too small to gain from a second thread.
 */
export function splitTargets(migrations: readonly MigrationFile[], targets: readonly LintTarget[], from?: CatalogAt): Split | undefined {
  const cost = (t: LintTarget) => t.migration.sql.length + 200;
  const total = targets.reduce((n, t) => n + cost(t), 0);
  if (total < PARALLEL_MIN_CHARS || targets.length < 2) return undefined;
  const start = from ? from.position + 1 : 0;
  let here = 0;
  let replayed = 0;
  let position = start;
  for (let i = 1; i < targets.length; i++) {
    here += cost(targets[i - 1]!);
    // The other thread replays every migration before the first file it lints.
    const cut = targets[i]!.after;
    for (; position < cut; position++) replayed += migrations[position]!.sql.length + 200;
    const there = START_CHARS + REPLAY_SHARE * replayed + (total - here);
    // A down file sits at its up file's position: the two stay on one side.
    if (here >= there && cut !== targets[i - 1]!.after) return { here: targets.slice(0, i), there: targets.slice(i) };
  }
  return undefined;
}

/** What the second thread is given: the migrations up to its last target and its targets by position. */
export interface WorkerInput {
  migrations: MigrationFile[];
  /** Each target: its position, and the file itself when it is a down file (not the migration there). */
  targets: { after: number; down?: MigrationFile }[];
  config: PgproConfig;
  from?: CatalogAt;
  keep?: number;
}

export interface WorkerOutput {
  linted: [string, LintedFile][];
  kept?: CatalogAt;
}

/** The targets a worker was given, as lintTargets takes them. */
export function targetsOf(input: WorkerInput): LintTarget[] {
  return input.targets.map((t) => ({ migration: t.down ?? input.migrations[t.after]!, after: t.after }));
}

/** The worker's module; undefined when it is not beside this one (a bundle), and one thread does it all. */
function workerEntry(): URL | undefined {
  if (!import.meta.url.endsWith('.ts')) {
    const entry = new URL('./engine-worker.js', import.meta.url);
    return existsSync(entry) ? entry : undefined;
  }
  // From TypeScript sources (vitest, tsx) the worker is TypeScript too: Node 20 ignores `--import tsx`
  // in a worker's execArgv, so a tiny ESM bootstrap registers tsx's loader before importing it.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./engine-worker.ts', import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/** Lints `split.there` in a worker thread. */
function lintInWorker(entry: URL, migrations: readonly MigrationFile[], there: readonly LintTarget[], config: PgproConfig, options: { from?: CatalogAt; keep?: number }) {
  const last = Math.max(...there.map((t) => t.after));
  const input: WorkerInput = {
    migrations: migrations.slice(0, last + 1),
    targets: there.map((t) => (t.migration === migrations[t.after] ? { after: t.after } : { after: t.after, down: t.migration })),
    config,
    ...(options.from ? { from: options.from } : {}),
    ...(options.keep !== undefined ? { keep: options.keep } : {}),
  };
  return new Promise<{ linted: Map<string, LintedFile>; kept?: CatalogAt }>((resolve, reject) => {
    const worker = new Worker(entry, { workerData: input });
    worker.once('message', (output: WorkerOutput) => resolve({ linted: new Map(output.linted), ...(output.kept ? { kept: output.kept } : {}) }));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the lint worker exited (code ${code})`)));
  });
}

/**
 * Lints the earlier targets here and the later ones in a worker thread, which replays the files before
 * its first target itself; the results are the ones one thread gives. When the worker fails, this
 * thread lints its targets too.
 */
async function lintInTwo(entry: URL, migrations: readonly MigrationFile[], split: Split, config: PgproConfig, options: { from?: CatalogAt; keep?: number }) {
  const firstThere = split.there[0]!.after;
  // The catalog to keep is the worker's when it lies at or after the worker's first target's position - 1.
  const keepThere = options.keep !== undefined && options.keep >= firstThere - 1 ? options.keep : undefined;
  const keepHere = options.keep !== undefined && keepThere === undefined ? options.keep : undefined;
  const other = lintInWorker(entry, migrations, split.there, config, { ...(options.from ? { from: options.from } : {}), ...(keepThere !== undefined ? { keep: keepThere } : {}) });
  // Not awaited before this thread's share is done; a failure is handled below, not left unhandled.
  other.catch(() => undefined);
  await loadParser();
  const mine = lintSerially(migrations, split.here, config, { ...(options.from ? { from: options.from } : {}), ...(keepHere !== undefined ? { keep: keepHere } : {}) });
  const theirs = await other.catch(() => lintSerially(migrations, split.there, config, { ...(options.from ? { from: options.from } : {}), ...(keepThere !== undefined ? { keep: keepThere } : {}) }));
  const kept = keepThere !== undefined ? theirs.kept : mine.kept;
  return { linted: new Map([...mine.linted, ...theirs.linted]), ...(kept ? { kept } : {}) };
}
