import type { PgproConfig } from '../config/schema.js';
import { atLeast } from '../finding.js';
import { lintMigrations } from '../rules/lib/lint.js';
import { prepareMigration, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import { parseMigrationSql } from '../sql/parse.js';
import { traceFindings } from '../trace/index.js';
import type { CatalogSnapshot, Finding, MigrationFile, ParsedFile } from '../types.js';

interface Reviewed {
  migration: MigrationFile;
  parsed: ParsedFile;
}

export interface FixVerifierInput {
  config: PgproConfig;
  /** Opens a sandbox in the state before the new migrations (a snapshot of it). */
  open: () => Promise<Sandbox>;
  fresh: Reviewed[];
  catalogBefore: CatalogSnapshot;
}

/**
 * A proposed fix is verified when, in a fresh sandbox brought to the state just before the statement
 * it replaces, the fix applies and neither the rules nor the trace find a warning or error in it.
 */
export function fixVerifier(input: FixVerifierInput): (finding: Finding) => Promise<boolean> {
  return async (finding) => {
    const sql = finding.fix?.sql;
    const index = input.fresh.findIndex((r) => r.migration.path === finding.file);
    if (!sql || index < 0) return false;
    const target = input.fresh[index]!;
    const fix = await parseMigrationSql(sql, finding.file, finding.line - 1);
    if (fix.errors.length > 0 || fix.statements.length === 0) return false;
    const sandbox = await input.open();
    try {
      const earlier = input.fresh.slice(0, index).map((r) => prepareMigration(r.migration.path, r.migration.inTransaction, r.parsed.statements));
      const before = target.parsed.statements.filter((s) => s.endLine < finding.line);
      if (before.length > 0) earlier.push(prepareMigration(target.migration.path, target.migration.inTransaction, before));
      const replayed = await sandbox.replay(earlier);
      if (replayed.some((r) => r.status.status !== 'applied')) return false;
      const run = await sandbox.apply(prepareMigration(finding.file, target.migration.inTransaction, fix.statements), { trace: true });
      if (run.status.status !== 'applied') return false;
      const migration: MigrationFile = { ...target.migration, sql, lineOffset: finding.line - 1 };
      const lint = lintMigrations([{ migration, parsed: fix }], { config: input.config, catalog: input.catalogBefore });
      const traced = traceFindings({
        file: finding.file,
        statements: fix.statements,
        outcomes: run.outcomes,
        inTransaction: target.migration.inTransaction,
        catalogBefore: input.catalogBefore,
      });
      return ![...lint, ...traced].some((f) => atLeast(f.severity, 'warning'));
    } finally {
      await sandbox.close().catch(() => undefined);
    }
  };
}

export type { SandboxOptions };
