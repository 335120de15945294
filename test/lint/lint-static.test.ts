// `pgpro lint`'s engine: each named file linted as its own change on the schema its predecessors' DDL
// describes; nothing run.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';
import { lintTargets, splitTargets } from '../../src/lint/engine.js';
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

describe('lintTargets on two threads', () => {
  // A history whose later files alter tables the earlier ones create: their findings depend on the
  // catalog the worker thread rebuilds by replaying the files before its share.
  const history = (count: number): MigrationFile[] =>
    Array.from({ length: count }, (_, i) => {
      const table = `t${Math.floor(i / 2)}`;
      const sql =
        i % 2 === 0
          ? `CREATE TABLE ${table} (id int PRIMARY KEY, note varchar(50), at timestamp, ${'padding_column_with_a_long_name_'.repeat(1)}${i} text);\n` +
            `-- ${'x'.repeat(3000)}\nCREATE INDEX ${table}_note ON ${table} (note);\n`
          : `ALTER TABLE ${table} ADD COLUMN flag boolean NOT NULL DEFAULT false;\nALTER TABLE ${table} ALTER COLUMN note TYPE varchar(20);\n` +
            `ALTER TABLE t0 ADD COLUMN c${i} int;\nCREATE INDEX ${table}_at ON ${table} (at);\nDROP TABLE IF EXISTS gone_${i};\n`;
      return {
        path: `db/migrations/${String(i + 1).padStart(4, '0')}_step.sql`,
        convention: 'plain',
        version: String(i + 1),
        name: 'step',
        kind: 'versioned',
        sql,
        lineOffset: 0,
        inTransaction: i % 3 === 0,
        transactionReason: 'test',
      };
    });

  it('splits a large run where both threads finish together, a small one not at all, and keeps a down file with its up file', () => {
    const migrations = history(120);
    const targets = migrations.map((migration, after) => ({ migration, after }));
    const split = splitTargets(migrations, targets)!;
    expect(split.here.length + split.there.length).toBe(120);
    // This thread lints the larger share: the other one replays this one's files first.
    expect(split.here.length).toBeGreaterThan(60);
    expect(split.there.length).toBeGreaterThan(20);
    expect(splitTargets(migrations.slice(0, 10), targets.slice(0, 10))).toBeUndefined();
    const cut = split.there[0]!.after;
    const down = { ...migrations[cut - 1]!, path: 'db/migrations/down.sql', sql: 'DROP TABLE t0;' };
    const withDown = [...targets.slice(0, cut), { migration: down, after: cut - 1 }, ...targets.slice(cut)];
    const again = splitTargets(migrations, withDown)!;
    expect(again.here.at(-1)!.after).not.toBe(again.there[0]!.after);
  });

  it('gives the findings and the kept catalog one thread gives', async () => {
    const migrations = history(120);
    const targets = migrations.map((migration, after) => ({ migration, after }));
    expect(splitTargets(migrations, targets)).toBeDefined();
    const config = defaultConfig();
    const one = await lintTargets(migrations, targets, config, { keep: 118 });
    const two = await lintTargets(migrations, targets, config, { keep: 118, parallel: true });
    expect([...two.linted]).toEqual([...one.linted]);
    expect(two.kept).toEqual(one.kept);
    expect(two.kept?.position).toBe(118);
    // Findings that need the catalog the worker replayed: ALTERs of tables earlier files created.
    const late = two.linted.get(migrations[119]!.path)!.findings.map((f) => f.rule);
    expect(late).toEqual(expect.arrayContaining(['changing-column-type', 'require-concurrent-index-creation']));
    // The worker loads the engine from TypeScript sources here (tsx), which takes a while on a busy machine.
  }, 180_000);
});
