import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rules } from '../../src/rules/index.js';
import { AGENT_DOC_PAGE, OTHER_RULE_IDS, OTHER_RULES_BY_STAGE } from '../../src/rules/lib/other-rules.js';
import { ruleDocUrl } from '../../src/report/common.js';
import type { Finding } from '../../src/types.js';
import { defaultConfig } from '../../src/config/parse.js';
import { CreatedObjects } from '../../src/rules/lib/created.js';
import { lintMigrations } from '../../src/rules/lib/lint.js';
import type { Rule, RuleContext, Visitors } from '../../src/rules/types.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { emptyCatalog, lint, migration } from './helpers.js';

const docsDir = fileURLToPath(new URL('../../docs/rules/', import.meta.url));
const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));

describe('lintMigrations', () => {
  it('drops a rule set to off and overrides a severity', async () => {
    const sql = 'CREATE INDEX i ON orders (a);\nALTER TABLE orders RENAME COLUMN a TO b;';
    const defaults = await lint({ sql });
    expect(defaults.find((f) => f.rule === 'require-concurrent-index-creation')?.severity).toBe('error');
    expect(defaults.find((f) => f.rule === 'renaming-column')?.severity).toBe('warning');

    const tuned = await lint({ sql }, {
      config: { rules: { 'require-concurrent-index-creation': 'off', 'renaming-column': 'error' } },
    });
    expect(tuned.some((f) => f.rule === 'require-concurrent-index-creation')).toBe(false);
    expect(tuned.find((f) => f.rule === 'renaming-column')?.severity).toBe('error');
  });

  it('assume-in-transaction overrides the file mode', async () => {
    const sql = 'CREATE INDEX CONCURRENTLY i ON orders (a);';
    expect((await lint({ sql })).map((f) => f.rule)).not.toContain('ban-concurrent-index-creation-in-transaction');
    const forced = await lint({ sql }, { config: { 'assume-in-transaction': true } });
    expect(forced.map((f) => f.rule)).toContain('ban-concurrent-index-creation-in-transaction');
  });

  it('keeps a file\'s own mode when it carries squawk\'s -- squawk-disable-assume-in-transaction', async () => {
    const body = 'CREATE INDEX CONCURRENTLY i ON orders (a);\nBEGIN;\nSELECT 1;\nCOMMIT;';
    const config = { 'assume-in-transaction': true };
    const rulesOf = async (sql: string) => (await lint({ sql }, { config })).map((f) => f.rule);
    const kept = await rulesOf(`-- squawk-disable-assume-in-transaction\n${body}`);
    expect(kept).not.toContain('transaction-nesting');
    expect(kept).not.toContain('ban-concurrent-index-creation-in-transaction');
    expect(await rulesOf(body)).toEqual(expect.arrayContaining(['transaction-nesting', 'ban-concurrent-index-creation-in-transaction']));
  });

  it('applies the file line offset and points at the offending node inside a statement', async () => {
    const sql = 'ALTER TABLE orders\n  ADD COLUMN a int,\n  ADD COLUMN b uuid DEFAULT gen_random_uuid();';
    const [finding] = (await lint({ sql, lineOffset: 10 })).filter((f) => f.rule === 'adding-field-with-default');
    expect(finding).toMatchObject({ line: 13, endLine: 13, file: 'db/migrations/0001_change.sql' });
  });

  it('keeps a fingerprint stable across whitespace and line moves', async () => {
    const a = await lint({ sql: 'DROP TABLE orders;' });
    const b = await lint({ sql: '\n\n-- cleanup\ndrop   table orders ;' });
    expect(b[0]!.line).toBe(4);
    expect(b.map((f) => f.fingerprint)).toEqual(a.map((f) => f.fingerprint));
  });

  it('does not call a mechanical CONCURRENTLY fix a drop-in inside a transaction', async () => {
    const sql = 'CREATE INDEX i ON orders (a);';
    const outside = (await lint({ sql })).find((f) => f.rule === 'require-concurrent-index-creation')!;
    expect(outside.fix).toMatchObject({ sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);', replacesStatement: true });
    const inside = (await lint({ sql, inTransaction: true })).find((f) => f.rule === 'require-concurrent-index-creation')!;
    expect(inside.fix?.replacesStatement).toBeUndefined();
    expect(inside.fix?.steps?.[0]).toMatch(/cannot run inside a transaction block, and this file runs in one/);
  });

  it('rewrites the statement lines for NOT VALID fixes, keeping what surrounds the statement', async () => {
    const sql = 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0); -- money';
    const [f] = (await lint({ sql })).filter((x) => x.rule === 'constraint-missing-not-valid');
    expect(f!.fix).toEqual({
      title: expect.any(String),
      sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT pos; -- money',
      replacesStatement: true,
    });
  });

  it('replaces the element type of an array column and keeps its brackets', async () => {
    const found = await lint({ sql: 'CREATE TABLE t (codes char(3)[], seen timestamp(3)[2], tags varchar(20) ARRAY);' });
    expect(found.find((f) => f.rule === 'ban-char-field')!.fix).toMatchObject({
      sql: 'CREATE TABLE t (codes text[], seen timestamp(3)[2], tags varchar(20) ARRAY);',
      replacesStatement: true,
    });
    expect(found.find((f) => f.rule === 'prefer-timestamptz')!.fix!.sql).toBe(
      'CREATE TABLE t (codes char(3)[], seen timestamptz(3)[2], tags varchar(20) ARRAY);',
    );
    // A column CHECK on char_length cannot apply to an array: the fix changes the type alone.
    expect(found.find((f) => f.rule === 'prefer-text-field')!.fix!.sql).toBe(
      'CREATE TABLE t (codes char(3)[], seen timestamp(3)[2], tags text ARRAY);',
    );
  });

  it('turns CONCURRENTLY on in place when the statement switched it off', async () => {
    const [f] = (await lint({ sql: 'REINDEX (CONCURRENTLY false, VERBOSE) TABLE orders;' })).filter((x) => x.rule === 'require-concurrent-reindex');
    expect(f!.fix).toMatchObject({ sql: 'REINDEX (CONCURRENTLY, VERBOSE) TABLE orders;', replacesStatement: true });
  });

  it('names a default function the schema does not define as unknown, not as volatile', async () => {
    const [f] = (await lint({ sql: 'ALTER TABLE orders ADD COLUMN c text DEFAULT make_code();' }, { catalog: emptyCatalog() })).filter(
      (x) => x.rule === 'adding-field-with-default',
    );
    expect(f!.message).toContain('make_code() (not a built-in, and the schema before this change does not define it');
  });

  it('rebuilds a concurrent index from scratch, keeping the name as written', async () => {
    const sql = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Orders_A" ON app.orders (a);';
    const [f] = (await lint({ sql })).filter((x) => x.rule === 'concurrent-index-if-not-exists');
    expect(f!.fix).toMatchObject({
      sql: 'DROP INDEX CONCURRENTLY IF EXISTS app."Orders_A";\nCREATE INDEX CONCURRENTLY "Orders_A" ON app.orders (a);',
      replacesStatement: true,
    });
    // prefer-robust-stmts gives the same recipe for a concurrent build, never IF NOT EXISTS.
    const [robust] = (await lint({ sql: 'SELECT 1;\nCREATE INDEX CONCURRENTLY "Orders_A" ON orders (a);' })).filter((x) => x.rule === 'prefer-robust-stmts');
    expect(robust!.fix!.sql).toBe('DROP INDEX CONCURRENTLY IF EXISTS "Orders_A";\nCREATE INDEX CONCURRENTLY "Orders_A" ON orders (a);');
  });

  it('uses the catalog for evidence and for the indexed table of a DROP INDEX', async () => {
    const catalog = emptyCatalog({
      tables: [
        {
          schema: 'public', name: 'orders', estimatedRows: 5000, columns: [], constraints: [],
          indexes: [{ name: 'orders_a_idx', definition: '', unique: false, primary: false, columns: ['a'], valid: true }],
        },
      ],
    });
    const found = await lint({ sql: 'DROP INDEX orders_a_idx;\nCREATE INDEX b ON orders (b);' }, { catalog });
    expect(found.find((f) => f.rule === 'require-concurrent-index-deletion')?.message).toContain('lock on orders');
    expect(found.find((f) => f.rule === 'require-concurrent-index-creation')?.evidence).toBe(
      'orders exists before this change (~5,000 rows estimated)',
    );
  });

  it('finds a table by its name in any case, the first of two that share it, and a table added between two runs', async () => {
    const table = (name: string, estimatedRows: number) => ({ schema: 'public', name, estimatedRows, columns: [], constraints: [], indexes: [] });
    const catalog = emptyCatalog({ tables: [table('other', 1), table('Orders', 7000), table('orders', 9000)] });
    const evidence = async () => (await lint({ sql: 'CREATE INDEX b ON ORDERS (b);' }, { catalog })).find((f) => f.rule === 'require-concurrent-index-creation')?.evidence;
    expect(await evidence()).toBe('orders exists before this change (~7,000 rows estimated)');
    // The catalog changes between runs (as the static mode's does, file after file): each run sees it as it is.
    catalog.tables.splice(0, catalog.tables.length, table('orders', 3));
    expect(await evidence()).toBe('orders exists before this change (~3 rows estimated)');
    catalog.tables.push(table('events', 12));
    const events = await lint({ sql: 'CREATE INDEX c ON events (c);' }, { catalog });
    expect(events.find((f) => f.rule === 'require-concurrent-index-creation')?.evidence).toBe('events exists before this change (~12 rows estimated)');
  });

  it('places a finding on the line of its node in a statement with multi-byte text before it', async () => {
    const sql = "CREATE TABLE t (\n  note text DEFAULT 'é€',\n  id serial PRIMARY KEY,\n  b int\n);";
    const found = await lint({ sql });
    const serial = found.find((f) => f.rule === 'prefer-identity');
    expect(serial?.line).toBe(3);
  });

  it('a TEMP table is created for its own file only: the next file operates on the real table', async () => {
    const concurrently = (found: Finding[]) => found.filter((f) => f.rule === 'require-concurrent-index-creation').map((f) => f.file);
    const sameFile = await lint({ sql: 'CREATE TEMP TABLE orders (a int);\nCREATE INDEX i ON orders (a);' });
    expect(concurrently(sameFile)).toEqual([]);
    const nextFile = await lint([{ sql: 'CREATE TEMP TABLE orders (a int);' }, { sql: 'CREATE INDEX i ON orders (a);' }]);
    expect(concurrently(nextFile)).toEqual(['db/migrations/0002_change.sql']);
    const asSelect = await lint([{ sql: 'CREATE TEMP TABLE orders AS SELECT 1 AS a;' }, { sql: 'CREATE INDEX i ON orders (a);' }]);
    expect(concurrently(asSelect)).toEqual(['db/migrations/0002_change.sql']);
  });

  it('CREATE TABLE IF NOT EXISTS of a table that exists creates nothing', async () => {
    const catalog = emptyCatalog({ tables: [{ schema: 'public', name: 'orders', estimatedRows: 0, columns: [], constraints: [], indexes: [] }] });
    const sql = 'CREATE TABLE IF NOT EXISTS orders (a int);\nCREATE INDEX i ON orders (a);';
    const existing = await lint({ sql }, { catalog });
    expect(existing.map((f) => f.rule)).toContain('require-concurrent-index-creation');
    const absent = await lint({ sql }, { catalog: emptyCatalog() });
    expect(absent.map((f) => f.rule)).not.toContain('require-concurrent-index-creation');
  });
});

describe('rule creation', () => {
  const counted = (id: string, visitors: (ctx: RuleContext) => Visitors) => {
    const calls: number[] = [];
    const rule: Rule = {
      meta: { ...rules[0]!.meta, id, defaultSeverity: 'warning' },
      create(ctx) {
        calls.push(ctx.statement.index);
        return visitors(ctx);
      },
    };
    return { rule, calls };
  };
  const lintWith = async (sql: string, ruleSet: Rule[]) => {
    const m = migration({ sql });
    const parsed = await parseMigrationSql(m.sql, m.path, m.lineOffset);
    return lintMigrations([{ migration: m, parsed }], { config: defaultConfig(), rules: ruleSet });
  };

  it('creates a rule only for the statements holding a node it visits, and one with a Statement visitor for each', async () => {
    const drops = counted('test-drops', (ctx) => ({ DropStmt: () => ctx.report({ message: 'drop' }) }));
    const every = counted('test-every', () => ({ Statement: () => undefined, DropStmt: () => undefined }));
    const sql = 'CREATE TABLE a (id int);\nDROP TABLE a;\nSELECT 1;\nDROP TABLE b;';
    const findings = await lintWith(sql, [drops.rule, every.rule]);
    // The first statement teaches the linter which types each rule visits: both are created there.
    expect(drops.calls).toEqual([0, 1, 3]);
    expect(every.calls).toEqual([0, 1, 2, 3]);
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['test-drops', 2],
      ['test-drops', 4],
    ]);
  });

  it('reports a rule whose late creation throws, and keeps the others', async () => {
    let first = true;
    const broken: Rule = {
      meta: { ...rules[0]!.meta, id: 'test-broken' },
      create(ctx) {
        if (!first) throw new Error('boom');
        first = false;
        return { DropStmt: () => ctx.report({ message: 'x' }) };
      },
    };
    const drops = counted('test-drops', (ctx) => ({ DropStmt: () => ctx.report({ message: 'drop' }) }));
    const findings = await lintWith('SELECT 1;\nDROP TABLE a;', [broken, drops.rule]);
    expect(findings.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['test-broken', 'info', 2],
      ['test-drops', 'warning', 2],
    ]);
  });

  it('every rule visits the same node types whatever the statement and settings', async () => {
    const sqls = ['CREATE TABLE t (id int PRIMARY KEY);', 'ALTER TABLE t ADD COLUMN b int;', 'BEGIN;', 'SET lock_timeout = 0;', 'DROP TABLE t;'];
    for (const rule of rules) {
      const seen = new Set<string>();
      for (const [i, sql] of sqls.entries()) {
        for (const inTransaction of [false, true]) {
          const m = migration({ sql, inTransaction }, i);
          const parsed = await parseMigrationSql(m.sql, m.path, m.lineOffset);
          const ctx = {
            settings: { postgresVersion: i % 2 ? 12 : 17, inTransaction },
            statement: parsed.statements[0]!,
            file: m,
            created: new CreatedObjects(),
            fileState: { lockTimeoutSet: i % 2 === 0, explicitTransaction: inTransaction, toolTransactionEnded: false, transactionIndex: 0 },
            fileMemo: new Map(),
            lineOf: () => 1,
            textOffset: () => undefined,
            report: () => undefined,
          } as RuleContext;
          const visitors = rule.create(ctx);
          seen.add(JSON.stringify(Object.keys(visitors).filter((k) => visitors[k])));
        }
      }
      expect([rule.meta.id, seen.size]).toEqual([rule.meta.id, 1]);
    }
  });
});

describe('registry and docs', () => {
  const pages = readdirSync(docsDir).filter((f) => f.endsWith('.md') && f !== 'README.md').map((f) => f.slice(0, -3));
  const ids = rules.map((r) => r.meta.id);
  const readme = readFileSync(`${docsDir}README.md`, 'utf8');

  it('has a doc page for every rule, lint or not, and a rule for every doc page', () => {
    const documented = [...ids, ...OTHER_RULE_IDS, AGENT_DOC_PAGE];
    expect(new Set(documented).size, 'a non-lint id repeats a lint id').toBe(documented.length);
    expect([...pages].sort()).toEqual([...documented].sort());
  });

  it('lists every rule in docs/rules/README.md', () => {
    for (const id of [...ids, ...OTHER_RULE_IDS, AGENT_DOC_PAGE]) expect(readme, id).toContain(`[${id}](${id}.md)`);
  });

  it('lists each non-lint rule under its stage in docs/rules/README.md', () => {
    for (const [stage, stageIds] of Object.entries(OTHER_RULES_BY_STAGE)) {
      const heading = readme.indexOf(`### ${stage[0]!.toUpperCase()}${stage.slice(1)}`);
      expect(heading, `README section for ${stage}`).toBeGreaterThan(-1);
      const next = readme.indexOf('\n### ', heading + 1);
      const section = readme.slice(heading, next < 0 ? undefined : next);
      for (const id of stageIds) expect(section, `${id} under ${stage}`).toContain(`[${id}](${id}.md)`);
    }
  });

  it('links every finding rule, agent topics included, to an existing page', () => {
    for (const id of [...ids, ...OTHER_RULE_IDS, 'agent/missing-fk-index']) {
      const page = decodeURIComponent(ruleDocUrl(id).split('/').pop()!).slice(0, -3);
      expect(pages, id).toContain(page);
    }
  });

  it('knows every rule id the non-lint stages emit', () => {
    // Ids written as literals where findings are built: `rule: 'x'`, or the first argument of a finding factory.
    const emitted = new Set<string>();
    const pattern = /(?:\brule:\s*|\b(?:finding|make|makeFinding|fingerprint)\(\s*)'([a-z0-9]+(?:-[a-z0-9]+)+)'/g;
    for (const file of sourceFiles(srcDir)) {
      if (file.startsWith(join(srcDir, 'rules'))) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) emitted.add(match[1]!);
    }
    expect(emitted.size).toBeGreaterThan(10);
    for (const id of emitted) expect([...ids, ...OTHER_RULE_IDS], id).toContain(id);
  });

  it('keeps ids unique, kebab-case and consistent with meta.docs', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of rules) {
      expect(rule.meta.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(rule.meta.docs).toBe(`docs/rules/${rule.meta.id}.md`);
    }
    for (const id of OTHER_RULE_IDS) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('rendered findings for a sample migration', () => {
  it('matches the snapshot', async () => {
    const sql = [
      'CREATE TABLE invoices (',
      '  id serial PRIMARY KEY,',
      '  number varchar(32) NOT NULL,',
      '  issued_at timestamp',
      ');',
      'CREATE INDEX invoices_number_idx ON invoices (number);',
      'CREATE INDEX orders_created_idx ON orders (created_at);',
      'ALTER TABLE orders ADD COLUMN invoice_id bigint,',
      '  ADD CONSTRAINT orders_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id);',
      'ALTER TABLE orders ALTER COLUMN status SET NOT NULL;',
      'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);',
      'ALTER TABLE customers RENAME COLUMN mail TO email;',
      'DROP INDEX orders_legacy_idx;',
    ].join('\n');
    const found = await lint({ sql, path: 'db/migrations/20240601_invoices.sql' });
    expect(render(found)).toMatchSnapshot();
  });
});

function render(findings: Finding[]): string {
  return findings
    .map((f) =>
      [
        `${f.file}:${f.line}-${f.endLine} ${f.severity} ${f.rule}`,
        `  ${f.message}`,
        f.fix ? `  fix: ${f.fix.title}${f.fix.replacesStatement ? ' (replaces statement)' : ''}` : '',
        ...(f.fix?.sql ?? '').split('\n').filter(Boolean).map((l) => `    ${l}`),
        ...(f.fix?.steps ?? []).map((s) => `    - ${s}`),
      ]
        .filter(Boolean)
        .join('\n'),
    )
    .join('\n\n');
}
