import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scannedTypeSpan, tokens, typeSpan } from '../../src/rules/lib/fix.js';
import { parseMigrationSqlSync, loadParser } from '../../src/sql/parse.js';

await loadParser();

const spanText = (text: string, start: number) => {
  const span = typeSpan(text, start);
  return span && text.slice(span.start, span.end);
};
const at = (text: string, word: string) => text.indexOf(word);

// Column types written every way the plain reading must either read as the scanner does or leave to it.
const TRICKY = [
  'CREATE TABLE t (id serial PRIMARY KEY, n integer NOT NULL, s character varying(255), c char(3)[])',
  'CREATE TABLE t (a timestamp without time zone DEFAULT now(), b timestamp(3) WITH TIME ZONE, c timestamp with time)',
  'CREATE TABLE t (a timestamp -- local\n without time zone, b timestamp /* x */ with time zone, c int/**/)',
  'CREATE TABLE t (a pg_catalog.int4, b pg_catalog . varchar ( 20 ), c numeric(12, 4), d int4[3], e "int4", f int8,g int2)',
  'CREATE TABLE t (a varchar(20 -- twenty\n), b varchar(/* n */ 20), c bigint\u00a0NOT NULL, d intégral, e int8é)',
  "CREATE TABLE t (a int DEFAULT E'x', b integer U&\"d\", c int2'3', d smallint::text, e serial8$x, f int..g, h int.5)",
  'ALTER TABLE t ALTER COLUMN a TYPE integer USING a::integer, ADD COLUMN b smallserial, ADD c varchar',
  'CREATE TABLE t (a timestamp with time zone, b timestamp\twithout\ntime\rzone)',
  'CREATE TABLE "T" (a int4 CHECK (a > 0), b varchar(10) COLLATE "C", c character(2) , d bigserial)',
];

const fixtureStatements = (): string[] => {
  const dir = join(import.meta.dirname, '..', 'fixtures');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql'));
  return files.flatMap((f) => parseMigrationSqlSync(readFileSync(join(dir, f), 'utf8'), f).statements.map((s) => s.text));
};

describe('typeSpan', () => {
  it('delimits a type written in plain words, with its modifiers and time zone', () => {
    const text = TRICKY[1]!;
    expect(spanText(text, at(text, 'timestamp without'))).toBe('timestamp without time zone');
    expect(spanText(text, at(text, 'timestamp(3)'))).toBe('timestamp(3) WITH TIME ZONE');
    expect(spanText(text, at(text, 'timestamp with time)'))).toBe('timestamp');
    const other = TRICKY[0]!;
    expect(spanText(other, at(other, 'character varying'))).toBe('character varying(255)');
    expect(spanText(other, at(other, 'char(3)[]'))).toBe('char(3)');
    expect(spanText(other, at(other, 'PRIMARY'))).toBeUndefined();
  });

  it('reads past comments as the scanner does', () => {
    const text = TRICKY[2]!;
    expect(spanText(text, at(text, 'timestamp --'))).toBe('timestamp -- local\n without time zone');
    expect(spanText(text, at(text, 'timestamp /*'))).toBe('timestamp /* x */ with time zone');
  });

  it('answers as the scanner does at every token of every statement', () => {
    const statements = [...TRICKY, ...fixtureStatements()];
    let compared = 0;
    for (const text of statements) {
      for (const token of tokens(text)) {
        expect({ text, at: token.start, span: typeSpan(text, token.start) }).toEqual({ text, at: token.start, span: scannedTypeSpan(text, token.start) });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
