import { defaultConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';
import { lintMigrations } from '../../src/rules/lib/lint.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { CatalogSnapshot, Finding, MigrationFile } from '../../src/types.js';

export interface FileSpec {
  path?: string;
  sql: string;
  inTransaction?: boolean;
  lineOffset?: number;
}

export function migration(spec: FileSpec, index = 0): MigrationFile {
  const path = spec.path ?? `db/migrations/${String(index + 1).padStart(4, '0')}_change.sql`;
  return {
    path,
    convention: 'plain',
    version: String(index + 1),
    name: 'change',
    kind: 'versioned',
    sql: spec.sql,
    lineOffset: spec.lineOffset ?? 0,
    inTransaction: spec.inTransaction ?? false,
    transactionReason: spec.inTransaction ? 'test: the tool wraps each file in a transaction' : 'test: autocommit',
  };
}

export interface LintOptionsSpec {
  config?: Partial<PgproConfig> & { rules?: PgproConfig['rules'] };
  catalog?: CatalogSnapshot;
}

export async function lint(files: FileSpec | FileSpec[], options: LintOptionsSpec = {}): Promise<Finding[]> {
  const list = Array.isArray(files) ? files : [files];
  const inputs = await Promise.all(
    list.map(async (spec, i) => {
      const m = migration(spec, i);
      const parsed = await parseMigrationSql(m.sql, m.path, m.lineOffset);
      if (parsed.errors.length) throw new Error(`test SQL does not parse: ${parsed.errors[0]!.message}`);
      return { migration: m, parsed };
    }),
  );
  const config = { ...defaultConfig(), ...options.config } as PgproConfig;
  return lintMigrations(inputs, { config, catalog: options.catalog });
}

export function emptyCatalog(partial: Partial<CatalogSnapshot> = {}): CatalogSnapshot {
  return { tables: [], functions: [], extensions: [], enums: [], ...partial };
}
