// Fingerprints name the hazard: stable when the statement is edited and the hazard stays, different for
// a different object, unique within a review. Similar statements of a file become one finding.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { fingerprint } from '../../src/finding.js';
import { assignFingerprints, groupSimilar, settleFindings, statementSubject, type HazardFinding } from '../../src/hazards/index.js';
import { diffFingerprints } from '../../src/report/markdown.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { ParsedFile } from '../../src/types.js';

const FILE = 'db/migrations/0002.sql';

async function parsed(sql: string): Promise<ParsedFile> {
  const file = await parseMigrationSql(sql, FILE, 0);
  if (file.errors.length) throw new Error(file.errors[0]!.message);
  return file;
}

function at(file: ParsedFile, line: number, rule: string, extra: Partial<HazardFinding> = {}): HazardFinding {
  const s = file.statements.find((x) => x.line <= line && line <= x.endLine)!;
  return { rule, severity: 'warning', source: 'lint', file: FILE, line, endLine: line, message: `${rule} on line ${line}`, fingerprint: fingerprint(rule, FILE, s.text), ...extra };
}

async function fingerprintOf(sql: string, rule = 'adding-required-field'): Promise<string> {
  const file = await parsed(sql);
  return assignFingerprints([at(file, 1, rule)], () => file.statements)[0]!.fingerprint;
}

describe('hazard fingerprints', () => {
  it('stay when the statement is edited but its object and hazard stay', async () => {
    const a = await fingerprintOf('ALTER TABLE orders ADD COLUMN customer_id int NOT NULL;');
    expect(await fingerprintOf('alter table  orders\n  add column customer_id bigint not null -- wider;\n;')).toBe(a);
    expect(await fingerprintOf("ALTER TABLE orders ADD COLUMN customer_id bigint NOT NULL CHECK (customer_id > 0);")).toBe(a);
  });

  it('change with the object: another column, another table, another rule', async () => {
    const a = await fingerprintOf('ALTER TABLE orders ADD COLUMN customer_id int NOT NULL;');
    expect(await fingerprintOf('ALTER TABLE orders ADD COLUMN shop_id int NOT NULL;')).not.toBe(a);
    expect(await fingerprintOf('ALTER TABLE carts ADD COLUMN customer_id int NOT NULL;')).not.toBe(a);
    expect(await fingerprintOf('ALTER TABLE orders ADD COLUMN customer_id int NOT NULL;', 'adding-not-nullable-field')).not.toBe(a);
  });

  it('say what a statement works on, without types, defaults or formatting', async () => {
    const file = await parsed(
      'CREATE INDEX orders_a_idx ON orders (a);\nDROP INDEX app.old_idx;\nALTER INDEX x RENAME TO y;\nALTER TABLE orders ALTER COLUMN a TYPE bigint USING a::bigint, ADD CONSTRAINT c CHECK (a > 0);',
    );
    expect(file.statements.map(statementSubject)).toEqual([
      'index public.orders orders_a_idx',
      'drop OBJECT_INDEX app.old_idx',
      'rename OBJECT_INDEX public.x →y',
      'alter public.orders AT_AlterColumnType:a AT_AddConstraint:c',
    ]);
  });

  it('are unique in a review: one rule twice on one statement is told apart by what it says', async () => {
    const file = await parsed('CREATE TABLE t (\n  id serial PRIMARY KEY,\n  customer_id integer\n);');
    const out = assignFingerprints(
      [at(file, 2, 'prefer-bigint-over-int', { message: 'id is a serial key' }), at(file, 3, 'prefer-bigint-over-int', { message: 'customer_id is a 32-bit integer key' })],
      () => file.statements,
    );
    expect(new Set(out.map((f) => f.fingerprint)).size).toBe(2);
    // Numbers in a message (row counts) do not take part: the same finding with other counts keeps its id.
    const again = assignFingerprints(
      [at(file, 2, 'prefer-bigint-over-int', { message: 'id is a serial key' }), at(file, 3, 'prefer-bigint-over-int', { message: 'customer_id is a 32-bit integer key' })],
      () => file.statements,
    );
    expect(again.map((f) => f.fingerprint)).toEqual(out.map((f) => f.fingerprint));
  });

  it('file-level advice keeps its fingerprint when its first statement changes', async () => {
    const a = await parsed('ALTER TABLE orders ADD COLUMN x int;');
    const b = await parsed('CREATE TABLE t (a int);\nALTER TABLE carts DROP COLUMN y;');
    const one = assignFingerprints([at(a, 1, 'require-timeout-settings')], () => a.statements)[0]!.fingerprint;
    const two = assignFingerprints([at(b, 2, 'require-timeout-settings')], () => b.statements)[0]!.fingerprint;
    expect(two).toBe(one);
  });
});

describe('similar statements of one migration', () => {
  const sql = Array.from({ length: 18 }, (_, i) => `ALTER TABLE t${i % 9} ALTER COLUMN c${i} TYPE timestamptz USING c${i} AT TIME ZONE 'UTC';`).join('\n');

  it('N statements with the same hazard are one finding listing the lines, each statement keeping its fingerprint', async () => {
    const file = await parsed(sql);
    const findings = assignFingerprints(
      file.statements.map((s) => at(file, s.line, 'changing-column-type', { severity: 'error', fix: { title: 'New column', sql: 'x', replacesStatement: true } })),
      () => file.statements,
    );
    const [one, ...rest] = groupSimilar(findings, () => file.statements);
    expect(rest).toEqual([]);
    expect(one!.line).toBe(1);
    expect(one!.occurrences).toHaveLength(18);
    expect(new Set(one!.occurrences!.map((o) => o.fingerprint)).size).toBe(18);
    expect(one!.message).toContain('The same finding applies to 17 more statements of this migration (lines 2, 3, 4,');
    // The SQL replaces one statement only: not offered as a one-click replacement of all 18.
    expect(one!.fix).not.toHaveProperty('replacesStatement');
    expect(one!.fix!.steps!.at(-1)).toMatch(/^Do the same at lines 2, 3/);
  });

  it('new / fixed / still open compare statements: fixing one of 18 is one fixed, the rest still open', async () => {
    const before = await parsed(sql);
    const afterSql = sql.split('\n').slice(1).join('\n');
    const after = await parsed(afterSql);
    const grouped = (file: ParsedFile) =>
      groupSimilar(
        assignFingerprints(file.statements.map((s) => at(file, s.line, 'changing-column-type', { severity: 'error' })), () => file.statements),
        () => file.statements,
      );
    const previous = grouped(before)[0]!.occurrences!.map((o) => o.fingerprint);
    const diff = diffFingerprints(previous, grouped(after));
    expect(diff.counts).toEqual({ new: 0, fixed: 1, open: 17 });
  });
});

describe('settleFindings', () => {
  it('a fix that replaces its statement spans the statement, not the line a rule pointed at', async () => {
    const file = await parsed('ALTER TABLE orders\n  ADD COLUMN a int,\n  ALTER COLUMN b TYPE bigint;');
    const pointed = at(file, 3, 'changing-column-type', { fix: { title: 'x', sql: 'ALTER TABLE orders\n  ADD COLUMN a int;', replacesStatement: true } });
    const [out] = settleFindings([pointed], { files: [file], config: defaultConfig() });
    expect(out).toMatchObject({ line: 1, endLine: 3 });
    const noDropIn = at(file, 3, 'changing-column-type', { fix: { title: 'x', steps: ['…'] } });
    expect(settleFindings([noDropIn], { files: [file], config: defaultConfig() })[0]).toMatchObject({ line: 3, endLine: 3 });
  });

  it('config severities apply to the merged finding, but a merged apply failure stays an error', async () => {
    const file = await parsed('ALTER TABLE orders ADD COLUMN c int NOT NULL;');
    const rule = at(file, 1, 'adding-required-field');
    const failure = at(file, 1, 'apply-error', { severity: 'error', source: 'apply', message: 'The migration fails here: column "c" contains null values (SQLSTATE 23502).' });
    const config = { ...defaultConfig(), rules: { 'adding-required-field': 'info' as const } };
    expect(settleFindings([rule, failure], { files: [file], config }).map((f) => [f.rule, f.severity])).toEqual([['adding-required-field', 'error']]);
    expect(settleFindings([rule], { files: [file], config }).map((f) => [f.rule, f.severity])).toEqual([['adding-required-field', 'info']]);
  });

  it('the result carries no internal fields', async () => {
    const file = await parsed('ALTER TABLE orders ADD COLUMN c int NOT NULL;');
    const [out] = settleFindings([at(file, 1, 'x', { hazard: { object: 'o' }, merged: ['x'] })], { files: [file], config: defaultConfig() });
    expect(out).not.toHaveProperty('hazard');
    expect(out).not.toHaveProperty('merged');
  });
});
