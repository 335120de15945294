// The static mode (`pgpro lint`): parse and lint, with the schema replayed from nothing but the files'
// own DDL (StaticCatalog) and no sandbox. Each linted file is judged as its own change on top of the
// files before it: what it creates itself is new (exempt from lock rules), what earlier files created
// exists. Nothing is run, so nothing is observed: the result says so (`stats.mode: 'static'`) and every
// finding is the static rules' prediction.
import type { PgproConfig } from '../config/schema.js';
import { compareFindings } from '../finding.js';
import { conclude } from '../stages/finish.js';
import { settleFindings } from '../hazards/index.js';
import { lintMigrations } from '../rules/lib/lint.js';
import { loadParser, parseMigrationSqlSync } from '../sql/parse.js';
import type { Finding, MigrationFile, ParsedFile, ReviewResult } from '../types.js';
import { StaticCatalog } from './static-catalog.js';

export { StaticCatalog, formatType } from './static-catalog.js';

export interface StaticLintInput {
  /** Every migration in apply order: the ones to lint and the history before them. */
  migrations: readonly MigrationFile[];
  /** Paths of the migrations to lint; the others only feed the catalog. Omitted: lint them all. */
  lint?: ReadonlySet<string>;
  config: PgproConfig;
  /** Notes from reading the files (discovery), carried into the result. */
  notes?: readonly string[];
  now?: () => number;
}

export async function lintStatic(input: StaticLintInput): Promise<ReviewResult> {
  const now = input.now ?? (() => performance.now());
  const started = now();
  await loadParser();
  const { config } = input;
  const selected = (m: MigrationFile) => m.kind !== 'undo' && (!input.lint || input.lint.has(m.path));
  // A down file is linted only when named (its drops are the point of it), and a down section of the up
  // file itself (dbmate) never: the file is linted as what it deploys.
  const downOf = (m: MigrationFile): MigrationFile | undefined =>
    m.down && m.down.path !== m.path && input.lint?.has(m.down.path)
      ? { ...m, path: m.down.path, sql: m.down.sql, lineOffset: m.down.lineOffset }
      : undefined;
  // History after the last linted file changes nothing that is reported: it is not even parsed.
  let last = -1;
  input.migrations.forEach((m, i) => (last = selected(m) || downOf(m) ? i : last));

  const catalog = new StaticCatalog();
  const findings: Finding[] = [];
  const linted: { migration: MigrationFile; parsed: ParsedFile }[] = [];
  let statements = 0;
  const lintOne = (migration: MigrationFile, parsed: ParsedFile) => {
    findings.push(...parsed.errors, ...lintMigrations([{ migration, parsed }], { config, catalog }));
    linted.push({ migration, parsed });
    statements += parsed.statements.length;
  };
  for (const migration of input.migrations.slice(0, last + 1)) {
    const parsed = parseMigrationSqlSync(migration.sql, migration.path, migration.lineOffset);
    if (selected(migration)) lintOne(migration, parsed);
    for (const statement of parsed.statements) catalog.apply(statement.ast);
    // The down file runs against the schema its up file left.
    const down = downOf(migration);
    if (down) lintOne(down, parseMigrationSqlSync(down.sql, down.path, down.lineOffset));
  }

  // The merge step works within a file; settling file by file keeps it linear in the number of files.
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const final = linted
    .flatMap(({ parsed }) => settleFindings(byFile.get(parsed.file) ?? [], { files: [parsed], config }))
    .sort(compareFindings);
  return {
    version: 1,
    conclusion: conclude(final, config['fail-on']),
    migrations: linted.map(({ migration, parsed }) => ({
      file: migration.path,
      status: 'not-run' as const,
      statements: parsed.statements.length,
      durationMs: 0,
    })),
    findings: final,
    notes: [...(input.notes ?? [])],
    stats: {
      mode: 'static',
      migrationsTotal: last + 1,
      migrationsNew: linted.length,
      statements,
      newStatements: statements,
      durationMs: Math.round(now() - started),
      stages: {},
    },
    sources: Object.fromEntries(linted.map(({ migration }) => [migration.path, '\n'.repeat(migration.lineOffset) + migration.sql])),
  };
}

export type { PgproConfig };
