import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/finding.js';
import { applyIgnores, parseDirective } from '../../src/sql/ignores.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { Finding, ParsedFile } from '../../src/types.js';

const finding = (rule: string, line: number, file = 'm.sql'): Finding => ({
  rule,
  severity: 'warning',
  source: 'lint',
  file,
  line,
  endLine: line,
  message: `${rule} at ${line}`,
  fingerprint: `${rule}-${line}`,
});

describe('parseDirective', () => {
  it('reads statement and file directives, rule lists and reasons', () => {
    expect(parseDirective(' pgpro-ignore a, b c')).toEqual({ scope: 'statement', rules: ['a', 'b', 'c'] });
    expect(parseDirective(' pgpro-ignore-file agent -- reviewed by DBA')).toEqual({ scope: 'file', rules: ['agent'] });
    expect(parseDirective(' pgpro-ignore')).toEqual({ scope: 'statement', rules: ['all'] });
    expect(parseDirective(' pgpro-ignored a')).toBeUndefined();
    expect(parseDirective(' see pgpro-ignore a')).toBeUndefined();
  });
});

describe('squawk directives', () => {
  it.each([
    [' squawk-ignore ban-drop-column', { scope: 'statement', rules: ['ban-drop-column'], from: 'squawk' }],
    [' squawk-ignore ban-drop-column, renaming-column,ban-drop-database -- fine', {
      scope: 'statement',
      rules: ['ban-drop-column', 'renaming-column', 'ban-drop-database'],
      from: 'squawk',
    }],
    [' squawk-ignore require-lock-timeout, prefer-timestamp-tz', { scope: 'statement', rules: ['require-timeout-settings', 'prefer-timestamptz'], from: 'squawk' }],
    // A rule pgpro does not share, or a name squawk does not know, silences nothing (never everything).
    [' squawk-ignore require-table-schema', { scope: 'statement', rules: [], from: 'squawk' }],
    [' squawk-ignore-file no-such-rule', { scope: 'file', rules: [], from: 'squawk' }],
  ])('%s', (body, expected) => {
    expect(parseDirective(body)).toEqual(expected);
  });

  it('silence the shared rules and are never reported as unused', async () => {
    const sql = `-- squawk-ignore ban-drop-column
ALTER TABLE t DROP COLUMN c;
-- squawk-ignore require-table-schema
CREATE TABLE u (a int);
-- squawk-ignore renaming-column
SELECT 1;
DROP TABLE v; -- squawk-ignore ban-drop-table`;
    const parsed = await parseMigrationSql(sql, 'm.sql');
    const kept = applyIgnores(
      [finding('ban-drop-column', 2), finding('prefer-robust-stmts', 2), finding('prefer-robust-stmts', 4), finding('ban-drop-table', 7)],
      [parsed],
    );
    expect(kept.map((f) => `${f.rule}@${f.line}`)).toEqual(['prefer-robust-stmts@2', 'prefer-robust-stmts@4']);
  });

  it('with no names, waive the rules pgpro shares with squawk, not what only pgpro sees', async () => {
    const parsed = await parseMigrationSql('-- squawk-ignore-file\nALTER TABLE t DROP COLUMN c;\nALTER TABLE t ADD COLUMN d int;', 'm.sql');
    expect(parsed.directives[0]!.rules).toEqual(expect.arrayContaining(['ban-drop-column', 'require-timeout-settings', 'prefer-robust-stmts']));
    expect(parsed.directives[0]!.rules).not.toContain('all');
    const kept = applyIgnores(
      [finding('ban-drop-column', 2), finding('require-timeout-settings', 3), finding('table-rewrite', 3), finding('apply-error', 2)],
      [parsed],
    );
    expect(kept.map((f) => f.rule)).toEqual(['table-rewrite', 'apply-error']);
  });
});

describe('directives in parsed files', () => {
  it('attach to the next statement, the enclosing one, or the one they trail', async () => {
    const sql = `-- pgpro-ignore rule-a
-- some explanation
CREATE INDEX i ON t (a);
ALTER TABLE t
  -- pgpro-ignore rule-b
  ADD COLUMN c int;
SELECT 1; -- pgpro-ignore rule-c
SELECT 2;
-- pgpro-ignore-file rule-d, rule-e
-- pgpro-ignore rule-f`;
    const parsed = await parseMigrationSql(sql, 'm.sql');
    expect(parsed.statements.map((s) => s.ignores)).toEqual([['rule-a'], ['rule-b'], ['rule-c'], []]);
    expect(parsed.fileIgnores).toEqual(['rule-d', 'rule-e']);
    expect(parsed.directives.map((d) => [d.line, d.scope, d.rules])).toEqual([
      [1, 'statement', ['rule-a']],
      [5, 'statement', ['rule-b']],
      [7, 'statement', ['rule-c']],
      [9, 'file', ['rule-d', 'rule-e']],
      [10, 'statement', ['rule-f']],
    ]);
  });

  it('ignores directive-looking text inside strings and function bodies', async () => {
    const parsed = await parseMigrationSql("SELECT '-- pgpro-ignore x';\nDO $$ BEGIN -- pgpro-ignore y\nEND $$;", 'm.sql');
    expect(parsed.directives).toEqual([]);
  });
});

describe('applyIgnores', () => {
  let parsed: ParsedFile;
  const sql = `-- pgpro-ignore rule-a, rule-unused
CREATE INDEX i ON t (a);
-- pgpro-ignore all
ALTER TABLE t
  ADD COLUMN c int;
SELECT 1;
-- pgpro-ignore-file agent
-- pgpro-ignore rule-z
SELECT 2;`;

  it('drops ignored findings and reports unused directive rules', async () => {
    parsed = await parseMigrationSql(sql, 'm.sql');
    const findings = [
      finding('rule-a', 2),
      finding('rule-b', 2),
      finding('rule-b', 5),
      finding('rule-a', 6),
      finding('agent/locking', 6),
      finding('syntax-error', 2),
      finding('apply-error', 5),
      finding('rule-a', 2, 'other.sql'),
    ];
    const kept = applyIgnores(findings, [parsed]);
    expect(kept.map((f) => `${f.file}:${f.rule}@${f.line}`)).toEqual([
      'm.sql:rule-b@2',
      'm.sql:rule-a@6',
      'm.sql:syntax-error@2',
      'm.sql:apply-error@5',
      'other.sql:rule-a@2',
      'm.sql:unused-ignore@1',
      'm.sql:unused-ignore@8',
    ]);
    const unused = kept.filter((f) => f.rule === 'unused-ignore');
    expect(unused[0]).toEqual({
      rule: 'unused-ignore',
      severity: 'info',
      source: 'lint',
      file: 'm.sql',
      line: 1,
      endLine: 1,
      message: 'pgpro-ignore rule-unused: no rule-unused finding was reported on the statement at line 2; remove the directive.',
      fingerprint: fingerprint('unused-ignore', 'm.sql', 'statement rule-unused CREATE INDEX i ON t (a)'),
    });
  });

  it('reports a directive that silenced nothing, and a file directive with no findings', async () => {
    parsed = await parseMigrationSql(sql, 'm.sql');
    const kept = applyIgnores([], [parsed]);
    expect(kept.map((f) => [f.line, f.message.split(':')[0]])).toEqual([
      [1, 'pgpro-ignore rule-a'],
      [1, 'pgpro-ignore rule-unused'],
      [3, 'pgpro-ignore all'],
      [7, 'pgpro-ignore-file agent'],
      [8, 'pgpro-ignore rule-z'],
    ]);
  });

  it('lets a file silence unused-ignore itself', async () => {
    const quiet = await parseMigrationSql('-- pgpro-ignore-file unused-ignore\n-- pgpro-ignore x\nSELECT 1;', 'q.sql');
    expect(applyIgnores([], [quiet])).toEqual([]);
  });
});
