// The work of the static mode: parse the migrations in order, lint the selected ones on the catalog of the
// files before them, settle each file's findings. Loaded only when some file is not in the lint cache:
// it brings the parser (WASM) and the rules.
import { hash } from 'node:crypto';
import type { PgproConfig } from '../config/schema.js';
import { settleFindings } from '../hazards/index.js';
import { lintMigrations } from '../rules/lib/lint.js';
import { loadParser, parseMigrationSqlSync } from '../sql/parse.js';
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
 * its position (every target must come after it); with `keep`, also returns the catalogs after the
 * migrations at those positions (but `from`'s), as JSON: the form they are kept in, and a snapshot of the
 * catalog far cheaper than a structured clone of it. With `digests`, hands `onDigest` a digest of the
 * catalog after the migrations at those positions (and the down files linted there); when it answers
 * true the run stops there (`stopped`), leaving the targets after it unlinted.
 */
export async function lintTargets(
  migrations: readonly MigrationFile[],
  targets: readonly LintTarget[],
  config: PgproConfig,
  options: { from?: CatalogAt; keep?: readonly number[]; digests?: readonly number[]; onDigest?: (position: number, digest: string) => boolean } = {},
): Promise<{ linted: Map<string, LintedFile>; kept: { position: number; json: string }[]; stopped?: number }> {
  await loadParser();
  const { from } = options;
  const keep = new Set(options.keep);
  const digests = new Set(options.digests);
  const catalog = from ? StaticCatalog.from(from.catalog) : new StaticCatalog();
  const kept: { position: number; json: string }[] = [];
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
    if (keep.has(i)) kept.push({ position: i, json: catalog.json() });
    for (const down of here.filter((t) => t.migration !== migration)) {
      lintOne(down.migration, parseMigrationSqlSync(down.migration.sql, down.migration.path, down.migration.lineOffset));
    }
    if (digests.has(i) && options.onDigest?.(i, hash('sha256', catalog.json()))) return { linted: out, kept, stopped: i };
  }
  return { linted: out, kept };
}
