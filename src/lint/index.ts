// The static mode (`pgpro lint`): parse and lint, with the schema replayed from nothing but the files'
// own DDL (StaticCatalog) and no sandbox. Each linted file is judged as its own change on top of the
// files before it: what it creates itself is new (exempt from lock rules), what earlier files created
// exists. Nothing is run, so nothing is observed: the result says so (`stats.mode: 'static'`).
//
// A file's findings depend on its text, the files before it, the config and pgpro's version; with a
// cache, a file whose key is known is not parsed again, and when every file is known the parser and the
// rules are not even loaded.
import { hash } from 'node:crypto';
import { posix } from 'node:path';
import type { PgproConfig } from '../config/schema.js';
import { conclude, sortFindings } from '../finding.js';
import type { MigrationFile, ReviewResult } from '../types.js';
import { codeId } from '../code-id.js';
import type { CatalogAt, LintedFile, LintTarget } from './engine.js';
import type { StaticCatalogData } from './static-catalog.js';
import { lintTargetsAt } from './targets.js';

export type { LintedFile } from './engine.js';

/** Where linted files are kept between runs, by key. */
export interface LintCache {
  get(key: string): LintedFile | undefined;
  set(key: string, value: LintedFile): void;
  /**
   * The static catalog after the migrations a history key stands for (pgpro's version, the config and
   * every file up to one position), so that linting an edited file does not replay the files before it.
   */
  getCatalog?(key: string): StaticCatalogData | undefined;
  /** Keeps a catalog under `key`, given as JSON (a StaticCatalogData). */
  setCatalog?(key: string, json: string): void;
  /**
   * The history key first recorded with the same catalog digest as `key` (see setCatalogDigest), when
   * it is another key: the files after either history are linted on the same catalog.
   */
  sameCatalogAs?(key: string): string | undefined;
  /** Records the digest of the catalog after the migrations history key `key` stands for. */
  setCatalogDigest?(key: string, digest: string): void;
}

export interface StaticLintInput {
  /** Every migration in apply order: the ones to lint and the history before them. */
  migrations: readonly MigrationFile[];
  /**
   * Paths to lint (migrations, or down files, which are linted on the schema their up file leaves); the
   * other migrations only feed the catalog. Omitted: every migration, no down file.
   */
  lint?: ReadonlySet<string>;
  config: PgproConfig;
  /** Notes from reading the files (discovery), carried into the result. */
  notes?: readonly string[];
  cache?: LintCache;
  now?: () => number;
  /**
   * Told, with a cache, the history key of each position up to the last linted (as the last lookup of the
   * cache computed them): a later run finds the catalogs and digests kept under them.
   */
  onChain?: (chain: readonly string[]) => void;
}

export async function lintStatic(input: StaticLintInput): Promise<ReviewResult> {
  const now = input.now ?? (() => performance.now());
  const started = now();
  const { config, migrations } = input;
  const targets = lintTargetsOf(input);
  const cache = input.cache;
  const linted = new Map<string, LintedFile>();
  let lastChain: string[] | undefined;
  // Each pass lints what the cache does not know. A pass stops after an edited file whose catalog is the
  // one its old version left (a comment, a DML change): the files after it then have their old keys, and
  // the next pass finds them in the cache rather than linting another folder's whole history again.
  for (;;) {
    const { keys, chain } = cache ? cacheKeys(migrations, targets, config, cache) : { keys: undefined, chain: undefined };
    lastChain = chain;
    const missing: LintTarget[] = [];
    for (const [i, target] of targets.entries()) {
      if (linted.has(target.migration.path)) continue;
      const hit = keys && cache!.get(keys[i]!);
      if (hit) linted.set(target.migration.path, hit);
      else missing.push(target);
    }
    if (missing.length === 0) break;
    const { lintTargets } = await import('./engine.js');
    // Start from the latest catalog kept before the first file to lint; keep the ones the newest file of
    // each folder is linted on, which is where the next run starts when that file is edited again.
    const first = Math.min(...missing.map((t) => t.after));
    let from: CatalogAt | undefined;
    for (let p = first - 1; chain && cache?.getCatalog && p >= 0 && !from; p--) {
      const catalog = cache.getCatalog(chain[p]!);
      if (catalog) from = { position: p, catalog };
    }
    const newest = chain ? newestOfEachFolder(missing) : [];
    const keep = cache?.setCatalog ? newest.map((t) => t.after - 1).filter((p) => p >= 0) : [];
    const digests = cache?.setCatalogDigest ? newest.map((t) => t.after) : [];
    const onDigest = (position: number, digest: string): boolean => {
      const key = chain![position]!;
      cache!.setCatalogDigest!(key, digest);
      const same = cache!.sameCatalogAs?.(key);
      return same !== undefined && same !== key && missing.some((t) => t.after > position);
    };
    const run = await lintTargets(migrations, missing, config, { ...(from ? { from } : {}), keep, digests, onDigest });
    for (const [path, file] of run.linted) linted.set(path, file);
    if (keys) targets.forEach((t, i) => run.linted.has(t.migration.path) && cache!.set(keys[i]!, run.linted.get(t.migration.path)!));
    for (const kept of run.kept) cache?.setCatalog?.(chain![kept.position]!, kept.json);
    if (run.stopped === undefined) break;
  }
  if (lastChain) input.onChain?.(lastChain);

  const files = targets.map((t) => ({ migration: t.migration, ...linted.get(t.migration.path)! }));
  const findings = sortFindings(files.flatMap((f) => f.findings));
  const statements = files.reduce((n, f) => n + f.statements, 0);
  return {
    version: 1,
    conclusion: conclude(findings, config['fail-on']),
    migrations: files.map((f) => ({ file: f.migration.path, status: 'not-run' as const, statements: f.statements, durationMs: 0 })),
    findings,
    notes: [...(input.notes ?? [])],
    stats: {
      mode: 'static',
      migrationsTotal: migrations.length,
      migrationsNew: files.length,
      statements,
      newStatements: statements,
      durationMs: Math.round(now() - started),
      stages: {},
    },
    sources: Object.fromEntries(files.map(({ migration }) => [migration.path, '\n'.repeat(migration.lineOffset) + migration.sql])),
  };
}

/** The files to lint, in apply order; a down file right after its up file. */
function lintTargetsOf(input: StaticLintInput): LintTarget[] {
  return input.migrations.flatMap((m, i) => lintTargetsAt(m, i, input.lint));
}

/** Files that live one directory below their sequence's folder (prisma, diesel). */
const NESTED = new Set(['migration.sql', 'up.sql', 'down.sql']);

/**
 * The last of `targets` (in apply order) in each folder of migrations: the file being written when a run
 * lints a folder again (several folders are linted together in a monorepo's hook).
 */
function newestOfEachFolder(targets: readonly LintTarget[]): LintTarget[] {
  const last = new Map<string, LintTarget>();
  for (const target of targets) {
    const path = target.migration.path;
    const parent = posix.dirname(path);
    last.set(NESTED.has(posix.basename(path)) ? posix.dirname(parent) : parent, target);
  }
  return [...last.values()];
}

/**
 * Per target: a hash of pgpro's code (src/code-id.ts), the config, every file up to its position, and the file itself;
 * per position (`chain`): the hash of everything up to and including the file there, or the first such
 * hash known to leave the same catalog (so an edit that leaves the catalog as it was keeps later keys).
 */
function cacheKeys(migrations: readonly MigrationFile[], targets: readonly LintTarget[], config: PgproConfig, cache: LintCache): { keys: string[]; chain: string[] } {
  const base = hash('sha256', `${codeId()}\0${JSON.stringify(config)}`);
  const chain: string[] = [];
  let state = base;
  const last = Math.max(-1, ...targets.map((t) => t.after));
  for (let i = 0; i <= last; i++) {
    const m = migrations[i]!;
    state = hash('sha256', `${state}\0${m.path}\0${m.lineOffset}\0${m.sql}`);
    state = cache.sameCatalogAs?.(state) ?? state;
    chain.push(state);
  }
  const keys = targets.map(({ migration: m, after }) => hash('sha256', `${chain[after]}\0${m.path}\0${m.kind}\0${m.inTransaction}\0${m.lineOffset}\0${m.sql}`));
  return { keys, chain };
}
