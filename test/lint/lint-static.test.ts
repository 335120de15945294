// `pgpro lint`'s engine: each named file linted as its own change on the schema its predecessors' DDL
// describes; nothing run.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';
import { lintStatic } from '../../src/lint/index.js';
import type { MigrationFile } from '../../src/types.js';

function files(...sqls: string[]): MigrationFile[] {
  return sqls.map((sql, i) => ({
    path: `db/migrations/000${i + 1}_step.sql`,
    convention: 'plain',
    version: String(i + 1),
    name: 'step',
    kind: 'versioned',
    sql,
    lineOffset: 0,
    inTransaction: false,
    transactionReason: 'test: autocommit',
  }));
}

const CREATE = 'CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(50), state text NOT NULL);\n';
// The rules these cases are about; the others (prefer-text-field, require-timeout-settings…) fire too.
const ABOUT = new Set(['require-concurrent-index-creation', 'changing-column-type', 'adding-not-nullable-field', 'adding-field-with-default', 'syntax-error', 'ban-drop-table', 'ban-drop-column']);
const rulesOf = (result: { findings: { rule: string; file: string; line: number }[] }) =>
  result.findings.filter((f) => ABOUT.has(f.rule)).map((f) => `${f.file.split('/').pop()}:${f.line} ${f.rule}`);

describe('lintStatic', () => {
  it('lints every file as its own change: a table an earlier file created exists, one the same file creates is new', async () => {
    const result = await lintStatic({
      migrations: files(CREATE + 'CREATE INDEX orders_state ON orders (state);\n', 'CREATE INDEX orders_note ON orders (note);\n'),
      config: defaultConfig(),
    });
    expect(rulesOf(result)).toEqual(['0002_step.sql:1 require-concurrent-index-creation']);
    expect(result.migrations).toEqual([
      { file: 'db/migrations/0001_step.sql', status: 'not-run', statements: 2, durationMs: 0 },
      { file: 'db/migrations/0002_step.sql', status: 'not-run', statements: 1, durationMs: 0 },
    ]);
    expect(result.stats).toMatchObject({ mode: 'static', migrationsTotal: 2, migrationsNew: 2, statements: 3 });
    expect(result.conclusion).toBe('failure');
  });

  it('reads the catalog the earlier files describe: a widening of varchar and a column already NOT NULL are not hazards', async () => {
    const migrations = files(
      CREATE,
      'ALTER TABLE orders ALTER COLUMN note TYPE varchar(100);\nALTER TABLE orders ALTER COLUMN state SET NOT NULL;\nALTER TABLE orders ALTER COLUMN id TYPE text;\n',
    );
    const result = await lintStatic({ migrations, lint: new Set([migrations[1]!.path]), config: defaultConfig() });
    expect(rulesOf(result)).toEqual(['0002_step.sql:3 changing-column-type']);
    expect(result.findings.find((f) => f.rule === 'changing-column-type')!.message).toContain('from bigint');
    // Only the named file is reported on; the history feeds the catalog.
    expect(result.migrations.map((m) => m.file)).toEqual(['db/migrations/0002_step.sql']);
  });

  it('does not read history after the last linted file, and reports syntax errors of the linted ones', async () => {
    const migrations = files('CREATE TABLE a (id int);\nCREATE TABLE b (id int;\n', 'this is not sql at all;\n');
    const result = await lintStatic({ migrations, lint: new Set([migrations[0]!.path]), config: defaultConfig() });
    expect(rulesOf(result)).toEqual(['0001_step.sql:2 syntax-error']);
    expect(result.conclusion).toBe('failure');
  });

  it('keeps a function the files do not define as of unknown volatility (the static catalog is not the whole schema)', async () => {
    const migrations = files(CREATE, 'ALTER TABLE orders ADD COLUMN code text DEFAULT make_code();\n');
    const withUnknown = await lintStatic({ migrations, lint: new Set([migrations[1]!.path]), config: defaultConfig() });
    expect(rulesOf(withUnknown)).toContain('0002_step.sql:1 adding-field-with-default');
    const defined = files(CREATE + "CREATE FUNCTION make_code() RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT 'x' $$;\n", 'ALTER TABLE orders ADD COLUMN code text DEFAULT make_code();\n');
    const known = await lintStatic({ migrations: defined, lint: new Set([defined[1]!.path]), config: defaultConfig() });
    expect(rulesOf(known)).not.toContain('0002_step.sql:1 adding-field-with-default');
  });

  it('applies ignore directives, rules turned off and fail-on as a review does', async () => {
    const migrations = files(CREATE, '-- pgpro-ignore require-concurrent-index-creation\nCREATE INDEX a ON orders (note);\nCREATE INDEX b ON orders (state);\nALTER TABLE orders DROP COLUMN note;\n');
    const config: PgproConfig = { ...defaultConfig(), rules: { 'ban-drop-column': 'off' }, 'fail-on': 'warning' };
    const result = await lintStatic({ migrations, lint: new Set([migrations[1]!.path]), config });
    expect(rulesOf(result)).toEqual(['0002_step.sql:3 require-concurrent-index-creation']);
    expect(result.conclusion).toBe('failure');
  });

  it('lints a named down file against the schema its up file left', async () => {
    const [up] = files('CREATE TABLE audit (id int);\n');
    const migration: MigrationFile = { ...up!, down: { path: 'db/migrations/0001_step.down.sql', sql: 'DROP TABLE audit;\n', lineOffset: 0 } };
    const result = await lintStatic({ migrations: [migration], lint: new Set(['db/migrations/0001_step.down.sql']), config: defaultConfig() });
    expect(rulesOf(result)).toEqual(['0001_step.down.sql:1 ban-drop-table']);
  });
});
