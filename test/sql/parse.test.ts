import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/finding.js';
import { parseMigrationSql } from '../../src/sql/parse.js';

const summary = async (sql: string, lineOffset = 0) =>
  (await parseMigrationSql(sql, 'db/m.sql', lineOffset)).statements.map((s) => [s.kind, s.line, s.endLine, s.text]);

describe('parseMigrationSql', () => {
  it('maps byte offsets to text and lines after non-ASCII comments and strings', async () => {
    const sql = "-- café ✓ 日本 😀\nCREATE TABLE t (id int);\n/* ünïcode */ INSERT INTO t VALUES (1, '日本;😀'); SELECT 'é'\n  ;\n";
    expect(await summary(sql)).toEqual([
      ['CreateStmt', 2, 2, 'CREATE TABLE t (id int)'],
      ['InsertStmt', 3, 3, "INSERT INTO t VALUES (1, '日本;😀')"],
      ['SelectStmt', 3, 3, "SELECT 'é'"],
    ]);
  });

  it('returns the statement node as ast, with indexes in file order', async () => {
    const parsed = await parseMigrationSql('CREATE INDEX CONCURRENTLY i ON t (a);\nALTER TABLE t ADD COLUMN b int;', 'x.sql');
    expect(parsed.statements.map((s) => s.index)).toEqual([0, 1]);
    const index = parsed.statements[0]!.ast as { IndexStmt: { concurrent: boolean; idxname: string } };
    expect(index.IndexStmt.concurrent).toBe(true);
    expect(index.IndexStmt.idxname).toBe('i');
    expect(parsed.errors).toEqual([]);
  });

  it('spans multi-line statements and applies lineOffset', async () => {
    const sql = '\n\nCREATE TABLE a (\n  id int\n);\nSELECT 1';
    expect(await summary(sql, 10)).toEqual([
      ['CreateStmt', 13, 15, 'CREATE TABLE a (\n  id int\n)'],
      ['SelectStmt', 16, 16, 'SELECT 1'],
    ]);
  });

  it('handles a missing final semicolon and trailing comments', async () => {
    expect(await summary('select 1;\nselect 2 -- last\n-- end\n')).toEqual([
      ['SelectStmt', 1, 1, 'select 1'],
      ['SelectStmt', 2, 2, 'select 2'],
    ]);
  });

  it('handles CRLF line endings', async () => {
    expect(await summary('-- ✓\r\nSELECT 1;\r\nCREATE TABLE a (\r\n  id int\r\n)\r\n')).toEqual([
      ['SelectStmt', 2, 2, 'SELECT 1'],
      ['CreateStmt', 3, 5, 'CREATE TABLE a (\r\n  id int\r\n)'],
    ]);
  });

  it('returns no statements and no errors for empty and comment-only files', async () => {
    for (const sql of ['', '   \n', '-- nothing\n/* here */\n', ';;\n']) {
      const parsed = await parseMigrationSql(sql, 'e.sql');
      expect(parsed.statements).toEqual([]);
      expect(parsed.errors).toEqual([]);
    }
  });

  it('keeps PL/pgSQL bodies whole', async () => {
    const sql = `DO $$
BEGIN
  UPDATE t SET a = 1; -- inside
END
$$;
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  NEW.x := ';'; RETURN NEW;
END;
$body$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
SELECT 3;`;
    expect((await summary(sql)).map(([kind, line, endLine]) => [kind, line, endLine])).toEqual([
      ['DoStmt', 1, 5],
      ['CreateFunctionStmt', 6, 10],
      ['CreateFunctionStmt', 11, 11],
      ['SelectStmt', 12, 12],
    ]);
  });

  it('strips COPY FROM stdin rows into copyData and keeps later lines right', async () => {
    const sql = "COPY t (a, b) FROM stdin;\n1\tnot; sql 'at all\n2\t\\N\n\\.\nSELECT 'after';\n";
    const parsed = await parseMigrationSql(sql, 'c.sql');
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.map((s) => [s.kind, s.line, s.copyData])).toEqual([
      ['CopyStmt', 1, "1\tnot; sql 'at all\n2\t\\N\n"],
      ['SelectStmt', 5, undefined],
    ]);
  });

  it('keeps BEGIN and COMMIT as transaction statements', async () => {
    const parsed = await parseMigrationSql('BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;', 't.sql');
    expect(parsed.statements.map((s) => s.kind)).toEqual(['TransactionStmt', 'CreateStmt', 'TransactionStmt']);
  });

  it('reports a syntax error at its line and still returns the statements before and after it', async () => {
    const sql = '-- é\nCREATE TABLE a (id int);\nCREATE TABLE b (\n  id int,,\n);\nCREATE TABLE c (id int); SELEC 1;\nSELECT 4;';
    const parsed = await parseMigrationSql(sql, 'bad.sql', 100);
    expect(parsed.statements.map((s) => [s.text, s.line])).toEqual([
      ['CREATE TABLE a (id int)', 102],
      ['CREATE TABLE c (id int)', 106],
      ['SELECT 4', 107],
    ]);
    expect(parsed.errors).toEqual([
      {
        rule: 'syntax-error',
        severity: 'error',
        source: 'parse',
        file: 'bad.sql',
        line: 104,
        endLine: 104,
        message: 'syntax error at or near ","',
        fingerprint: fingerprint('syntax-error', 'bad.sql', 'CREATE TABLE b (\n  id int,,\n)'),
      },
      expect.objectContaining({ line: 106, message: 'syntax error at or near "SELEC"' }),
    ]);
  });

  it('reports an unterminated string with a short message', async () => {
    const parsed = await parseMigrationSql("SELECT 1;\nSELECT 'open;\nSELECT 2;\n" + 'x'.repeat(200), 'u.sql');
    expect(parsed.statements.map((s) => s.text)).toEqual(['SELECT 1']);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]!.line).toBe(2);
    expect(parsed.errors[0]!.message).toBe('unterminated quoted string at or near "\'open;…"');
  });

  it('reports an error at the end of input on the last line of the statement', async () => {
    const parsed = await parseMigrationSql('SELECT 1;\nALTER TABLE\n', 'end.sql');
    expect(parsed.errors.map((e) => [e.line, e.message])).toEqual([[2, 'syntax error at end of input']]);
    expect(parsed.statements).toHaveLength(1);
  });

  it('parses 300 files of 20 statements, every one of them (its speed is measured by npm run bench)', async () => {
    const file = Array.from(
      { length: 10 },
      (_, i) => `-- step ${i} ✓\nALTER TABLE orders_${i} ADD COLUMN note_${i} text DEFAULT 'x';\nCREATE INDEX CONCURRENTLY idx_${i} ON orders_${i} (note_${i});`,
    ).join('\n');
    let statements = 0;
    for (let f = 0; f < 300; f++) statements += (await parseMigrationSql(file, `m${f}.sql`)).statements.length;
    expect(statements).toBe(300 * 20);
  });
});

describe("diesel-guard's safety-assured markers", () => {
  const blocks = async (sql: string) => (await parseMigrationSql(sql, 'm.sql')).assured;

  it('pair each start with the next end, by line, case-insensitively', async () => {
    expect(await blocks('-- safety-assured:start\nSELECT 1;\n-- SAFETY-ASSURED:END\nSELECT 2;\n--safety-assured:start\nSELECT 3;\n-- safety-assured:end\n')).toEqual([
      { start: 1, end: 3 },
      { start: 5, end: 7 },
    ]);
    expect(await blocks('SELECT 1; -- safety-assured is not a marker\n')).toBeUndefined();
  });

  it('mark nothing in a file whose markers do not pair: unclosed, nested or an end alone', async () => {
    expect(await blocks('-- safety-assured:start\nSELECT 1;\n')).toBeUndefined();
    expect(await blocks('-- safety-assured:start\n-- safety-assured:start\nSELECT 1;\n-- safety-assured:end\n')).toBeUndefined();
    expect(await blocks('-- safety-assured:end\nSELECT 1;\n-- safety-assured:start\nSELECT 2;\n-- safety-assured:end\n')).toBeUndefined();
  });
});
