import { describe, expect, it } from 'vitest';
import { normalizeSchema, replaceLines, schemaDifferences, terminated, writtenData } from '../../src/proof/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';

describe('replaceLines', () => {
  const migration = { sql: 'SET lock_timeout = 1;\n  ALTER TABLE a\n    ADD COLUMN b int;\nSELECT 1;\n', lineOffset: 0 };

  it('replaces exactly the cited lines, indents like the first of them, and says where later lines moved', () => {
    const replaced = replaceLines(migration, 2, 3, 'ALTER TABLE a ADD COLUMN b bigint;\nSELECT 2')!;
    expect(replaced.sql).toBe('SET lock_timeout = 1;\n  ALTER TABLE a ADD COLUMN b bigint;\n  SELECT 2;\nSELECT 1;\n');
    expect(replaced).toMatchObject({ firstLine: 2, lastLine: 3, delta: 0, original: '  ALTER TABLE a\n    ADD COLUMN b int;' });
    expect(replaceLines(migration, 2, 3, 'SELECT 3;')).toMatchObject({ firstLine: 2, lastLine: 2, delta: -1 });
  });

  it('counts lines of the file, not of a dbmate section', () => {
    const section = { sql: 'CREATE TABLE t (id int);\n', lineOffset: 3 };
    expect(replaceLines(section, 4, 4, 'CREATE TABLE t (id bigint)')!.sql).toBe('CREATE TABLE t (id bigint);\n');
    expect(replaceLines(section, 3, 3, 'SELECT 1')).toBeUndefined();
    expect(replaceLines(section, 5, 5, 'SELECT 1')).toBeUndefined();
  });

  it('ends the SQL with a semicolon before a trailing comment, not after it', () => {
    expect(terminated('SELECT 1 -- why')).toBe('SELECT 1; -- why');
    expect(terminated('SELECT 1; -- why')).toBe('SELECT 1; -- why');
    expect(terminated("SELECT ';' -- x\n")).toBe("SELECT ';'; -- x");
  });
});

describe('the intended schema', () => {
  it('ignores index and constraint names and the validation state, nothing else', () => {
    const original = new Map([
      ['index public.a_b_idx', 'CREATE INDEX a_b_idx ON public.a USING btree (b)'],
      ['constraint public.a.a_c_fkey', 'FOREIGN KEY (c) REFERENCES c(id)'],
      ['column public.a.b', 'integer'],
    ]);
    const renamed = new Map([
      ['index public."A b"', 'CREATE INDEX "A b" ON public.a USING btree (b)'],
      ['constraint public.a.fk', 'FOREIGN KEY (c) REFERENCES c(id) NOT VALID'],
      ['column public.a.b', 'integer'],
    ]);
    expect(normalizeSchema(original)).toEqual(normalizeSchema(renamed));
    expect(schemaDifferences(original, renamed)).toEqual([]);
    expect(schemaDifferences(original, new Map([...renamed, ['column public.a.b', 'bigint']]))).toEqual([
      'differs: column public.a.b: integer → bigint',
    ]);
  });
});

describe('writtenData', () => {
  it('names the tables DML writes and the columns it sets to values a second run cannot repeat', async () => {
    const parsed = await parseMigrationSql(
      "UPDATE app.t SET a = now(), b = 1;\nDELETE FROM u;\nINSERT INTO v SELECT gen_random_uuid();\nCREATE TABLE w (id int);\n",
      'm.sql',
    );
    const written = writtenData(parsed.statements);
    expect([...written.tables].sort()).toEqual(['app.t', 'public.u', 'public.v']);
    expect([...written.volatileColumns].sort()).toEqual(['app.t.a', 'public.v.*']);
    const opaque = await parseMigrationSql('DO $$ BEGIN PERFORM 1; END $$;', 'm.sql');
    expect([...writtenData(opaque.statements).tables]).toEqual(['*']);
  });
});
