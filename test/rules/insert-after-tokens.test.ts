import { describe, expect, it } from 'vitest';
import { insertAfterTokens } from '../../src/rules/lib/fix.js';
import { loadParser } from '../../src/sql/parse.js';

await loadParser();

const concurrently = (text: string) => insertAfterTokens(text, ['CREATE', '?UNIQUE', 'INDEX'], ' CONCURRENTLY');

describe('insertAfterTokens', () => {
  it('inserts after the words a statement starts with, in any case and spacing', () => {
    expect(concurrently('CREATE INDEX i ON t (a)')).toBe('CREATE INDEX CONCURRENTLY i ON t (a)');
    expect(concurrently('create\n  unique\tindex i ON t (a)')).toBe('create\n  unique\tindex CONCURRENTLY i ON t (a)');
  });

  it('reads past comments between the words, as the scanner does', () => {
    expect(concurrently('CREATE /* why */ UNIQUE -- note\n INDEX i ON t (a)')).toBe('CREATE /* why */ UNIQUE -- note\n INDEX CONCURRENTLY i ON t (a)');
    expect(concurrently('CREATE UNIQUE/**/INDEX i ON t (a)')).toBe('CREATE UNIQUE/**/INDEX CONCURRENTLY i ON t (a)');
  });

  it('takes an optional word only when the scanner sees it, comments or not', () => {
    expect(insertAfterTokens('REINDEX (VERBOSE) INDEX i', ['REINDEX', '?(', '?VERBOSE', '?)', '?INDEX'], ' CONCURRENTLY')).toBe('REINDEX (VERBOSE) INDEX CONCURRENTLY i');
    expect(insertAfterTokens('DROP TABLE -- gone\nIF EXISTS t', ['DROP', 'TABLE', '?IF'], ' X')).toBe('DROP TABLE -- gone\nIF X EXISTS t');
    expect(insertAfterTokens('DROP TABLE t', ['DROP', 'TABLE', '?IF'], ' X')).toBe('DROP TABLE X t');
  });

  it('finds the words later in the statement, and nothing where they are not', () => {
    expect(insertAfterTokens('ALTER TABLE t ADD COLUMN c int', ['ADD', '?COLUMN'], ' IF NOT EXISTS')).toBe('ALTER TABLE t ADD COLUMN IF NOT EXISTS c int');
    expect(concurrently('CREATE TABLE t (a int)')).toBeUndefined();
    expect(insertAfterTokens("SELECT 'CREATE INDEX' AS x", ['CREATE', 'INDEX'], ' C')).toBeUndefined();
  });
});
