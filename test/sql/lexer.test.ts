import { describe, expect, it } from 'vitest';
import { blankOut, splitTopLevel } from '../../src/sql/lexer.js';

const texts = (sql: string) => splitTopLevel(sql).pieces.map((p) => sql.slice(p.start, p.end));

describe('splitTopLevel', () => {
  it('splits on top-level semicolons only', () => {
    const sql = `select 'a;b', "c;d", E'x\\';y' ; /* ; /* nested ; */ */ select $$;$$, $fn$ $$ ; $fn$; -- ;
create rule r as on insert to t do also (insert into a values (1); insert into b values (2));
select (1;2)`;
    expect(texts(sql)).toEqual([
      `select 'a;b', "c;d", E'x\\';y'`,
      'select $$;$$, $fn$ $$ ; $fn$',
      'create rule r as on insert to t do also (insert into a values (1); insert into b values (2))',
      'select (1;2)',
    ]);
  });

  it('stops after as many statements as asked, which are those a full scan finds first', () => {
    const sql = `select 'a;b'; select $$;$$; select 3; select 4`;
    expect(splitTopLevel(sql, 2).pieces).toEqual(splitTopLevel(sql).pieces.slice(0, 2));
    expect(splitTopLevel('select 1; -- only one', 2).pieces).toHaveLength(1);
    expect(splitTopLevel('select 1; select 2', 2).pieces).toHaveLength(2);
  });

  it('keeps BEGIN ATOMIC bodies (with CASE … END inside) in one statement', () => {
    const sql = `create function f() returns int language sql begin atomic select case when true then 1 end; select 2; end; select 3;`;
    expect(texts(sql)).toEqual([
      'create function f() returns int language sql begin atomic select case when true then 1 end; select 2; end',
      'select 3',
    ]);
  });

  it('reports the terminating semicolon, or -1 at the end of the text', () => {
    const sql = 'select 1 -- one\n;\nselect 2 /* two */';
    const { pieces } = splitTopLevel(sql);
    expect(pieces).toEqual([
      { start: 0, end: 8, semicolon: 16 },
      { start: 18, end: 26, semicolon: -1 },
    ]);
  });

  it('treats $1 as a parameter and $ inside identifiers as part of them', () => {
    expect(texts('prepare p as select $1; select a$b$ from t; select 1')).toEqual([
      'prepare p as select $1',
      'select a$b$ from t',
      'select 1',
    ]);
  });

  it('masks COPY FROM stdin rows up to \\. and psql meta-commands', () => {
    const sql = '\\restrict abc\ncopy t (a) from stdin;\n1\n2;3\n\\.\nselect 1;\r\nCOPY t FROM STDIN;\r\nx\r\n\\.\r\nselect 2;';
    const result = splitTopLevel(sql);
    expect(result.masked.map((m) => [m.kind, sql.slice(m.start, m.end), m.piece])).toEqual([
      ['psql-meta', '\\restrict abc', undefined],
      ['copy-data', '1\n2;3\n\\.', 0],
      ['copy-data', 'x\r\n\\.\r', 2],
    ]);
    expect(texts(sql)).toEqual(['copy t (a) from stdin', 'select 1', 'COPY t FROM STDIN', 'select 2']);
    const blank = blankOut(sql, result.masked);
    expect(blank.length).toBe(sql.length);
    expect(blank.split('\n').length).toBe(sql.split('\n').length);
    expect(blank).not.toContain('2;3');
  });

  it('does not treat COPY TO stdout or a COPY followed by SQL on the same line as data', () => {
    const sql = 'copy t to stdout;\nselect 1;\ncopy t from stdin; select 2;\nselect 3;';
    expect(splitTopLevel(sql).masked).toEqual([]);
    expect(texts(sql)).toHaveLength(5);
  });

  it('collects line comments and survives unterminated quotes and comments', () => {
    const { comments } = splitTopLevel("-- a\nselect 1; -- b\n/* -- not a line comment */");
    expect(comments.map((c) => c.body)).toEqual([' a', ' b']);
    expect(texts("select 1; select 'abc; select 2")).toEqual(['select 1', "select 'abc; select 2"]);
    expect(texts('select 1; /* open ; select 2')).toEqual(['select 1']);
    expect(texts('select $x$ open; select 2')).toEqual(['select $x$ open; select 2']);
  });

  it('finds nothing in empty and comment-only text', () => {
    expect(splitTopLevel('').pieces).toEqual([]);
    expect(splitTopLevel('  -- c\n/* d */ ;; \n').pieces).toEqual([]);
  });
});
